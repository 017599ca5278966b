<#
.SYNOPSIS
  Installs, starts, stops, tests and uninstalls the SharedMemory driver on Windows 10/11.

.DESCRIPTION
  Run as administrator. The package folder holds sharedmemory.inf, .sys and .cat,
  test-signed by test-signing.ps1 (or by the Visual Studio build), with test
  signing on (bcdedit /set testsigning on, then reboot).

    -Action Install    pnputil /add-driver sharedmemory.inf /install (a primitive driver:
                       the INF's DefaultInstall.NTamd64 runs, the service SharedMemory is created)
    -Action Start      sc.exe start SharedMemory
    -Action Stop       sc.exe stop SharedMemory (needs every handle closed)
    -Action Status     sc.exe query SharedMemory, and the driver package pnputil knows
    -Action Test       shm-client.exe contract, lifecycle and shared (the ALLOCATE paths Wine cannot run)
    -Action Uninstall  stops the service, then pnputil /delete-driver oemNN.inf /uninstall

.EXAMPLE
  .\install-driver.ps1 -Action Install -Package ..\..\dist\driver\windows\package
  .\install-driver.ps1 -Action Start
  .\install-driver.ps1 -Action Test -Client .\client\x64\Release\shm-client.exe
#>
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)]
  [ValidateSet('Install', 'Start', 'Stop', 'Status', 'Test', 'Uninstall')]
  [string]$Action,
  [string]$Package = (Join-Path $PSScriptRoot '..\..\dist\driver\windows\package'),
  [string]$Client = (Join-Path $PSScriptRoot '..\..\dist\driver\windows\shm-client.exe')
)
$ErrorActionPreference = 'Stop'
$service = 'SharedMemory'

function Assert-Administrator {
  $identity = [Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
  if (-not $identity.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this script as administrator: the device admits only Administrators and SYSTEM.'
  }
}

function Invoke-Checked([string]$exe, [string[]]$arguments, [int[]]$okCodes = @(0)) {
  & $exe @arguments
  if ($okCodes -notcontains $LASTEXITCODE) {
    throw "$exe $($arguments -join ' ') failed with exit code $LASTEXITCODE"
  }
}

# The oemNN.inf name pnputil gave our package (its "Original Name" is sharedmemory.inf).
function Get-PublishedInf {
  $published = $null
  foreach ($line in (pnputil.exe /enum-drivers)) {
    if ($line -match '^\s*Published Name\s*:\s*(\S+)') { $published = $Matches[1] }
    elseif ($line -match '^\s*Original Name\s*:\s*sharedmemory\.inf\s*$') { return $published }
  }
  return $null
}

Assert-Administrator
switch ($Action) {
  'Install' {
    $inf = Join-Path $Package 'sharedmemory.inf'
    if (-not (Test-Path $inf)) { throw "Not found: $inf (run test-signing.ps1 first)" }
    # 3010: installed, a reboot is recommended.
    Invoke-Checked 'pnputil.exe' @('/add-driver', $inf, '/install') @(0, 3010)
    Write-Host "Installed. Start it with: .\install-driver.ps1 -Action Start"
  }
  'Start' {
    # 1056: already running.
    Invoke-Checked 'sc.exe' @('start', $service) @(0, 1056)
  }
  'Stop' {
    # 1062: not started.
    Invoke-Checked 'sc.exe' @('stop', $service) @(0, 1062)
  }
  'Status' {
    & sc.exe query $service
    $published = Get-PublishedInf
    if ($published) { Write-Host "Driver package: $published" } else { Write-Host 'No SharedMemory driver package in the driver store.' }
  }
  'Test' {
    if (-not (Test-Path $Client)) { throw "Not found: $Client (build client\shm-client.vcxproj, or npm run test:windows on Linux)" }
    Invoke-Checked $Client @('contract')
    Invoke-Checked $Client @('lifecycle')
    Invoke-Checked $Client @('shared')
  }
  'Uninstall' {
    & sc.exe stop $service | Out-Null
    $published = Get-PublishedInf
    if (-not $published) { throw 'No SharedMemory driver package is installed.' }
    Invoke-Checked 'pnputil.exe' @('/delete-driver', $published, '/uninstall', '/force') @(0, 3010)
    Write-Host "Removed $published and the service $service."
  }
}
