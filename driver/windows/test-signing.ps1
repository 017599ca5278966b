<#
.SYNOPSIS
  Test-signs the SharedMemory driver package on Windows 10/11 and turns on
  test-signing mode, so the driver can be installed without a Microsoft signature.

.DESCRIPTION
  Run as administrator, from a "Developer PowerShell for VS 2022" with the WDK
  installed (for signtool.exe and Inf2Cat.exe), after building the driver:
    - creates (once) a self-signed code-signing certificate "SharedMemory Test Signing"
      in LocalMachine\My and trusts it (LocalMachine\Root and TrustedPublisher);
    - copies sharedmemory.sys and inf\sharedmemory.inf into a package folder,
      signs the .sys, makes the catalog with Inf2Cat and signs it;
    - runs `bcdedit /set testsigning on` (takes effect after a reboot; Secure Boot
      must be off, since it forbids test signing).
  Then install with .\install-driver.ps1 -Action Install -Package <folder>.

  Visual Studio's own build (sharedmemory.vcxproj, SignMode TestSign) already
  produces a test-signed package in x64\<Configuration>\sharedmemory\; this script
  is for a .sys built elsewhere (for example the cross-build: npm run build:driver:windows).

.EXAMPLE
  .\test-signing.ps1 -Sys ..\..\dist\driver\windows\sharedmemory.sys
#>
[CmdletBinding()]
param(
  # The driver image to sign.
  [string]$Sys = (Join-Path $PSScriptRoot '..\..\dist\driver\windows\sharedmemory.sys'),
  # The INF that installs it.
  [string]$Inf = (Join-Path $PSScriptRoot '..\..\inf\sharedmemory.inf'),
  # Where the signed package goes.
  [string]$Package = (Join-Path $PSScriptRoot '..\..\dist\driver\windows\package'),
  # Sign only; leave the boot configuration alone.
  [switch]$NoBcdedit
)
$ErrorActionPreference = 'Stop'
$subject = 'CN=SharedMemory Test Signing'

function Assert-Administrator {
  $identity = [Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
  if (-not $identity.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this script as administrator (it writes LocalMachine certificate stores and the boot configuration).'
  }
}

function Find-WdkTool([string]$name) {
  $onPath = Get-Command $name -ErrorAction SilentlyContinue
  if ($onPath) { return $onPath.Source }
  $kits = Join-Path ${env:ProgramFiles(x86)} 'Windows Kits\10\bin'
  $found = Get-ChildItem -Path $kits -Recurse -Filter $name -ErrorAction SilentlyContinue |
    Where-Object { $_.FullName -match '\\x64\\|\\x86\\' } |
    Sort-Object FullName -Descending | Select-Object -First 1
  if (-not $found) { throw "$name not found: install the Windows Driver Kit, or run from a Developer PowerShell." }
  return $found.FullName
}

function Invoke-Checked([string]$exe, [string[]]$arguments) {
  & $exe @arguments
  if ($LASTEXITCODE -ne 0) { throw "$exe $($arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

Assert-Administrator
foreach ($file in @($Sys, $Inf)) {
  if (-not (Test-Path $file)) { throw "Not found: $file" }
}
$signtool = Find-WdkTool 'signtool.exe'
$inf2cat = Find-WdkTool 'Inf2Cat.exe'

# 1. The certificate: made once, trusted on this machine only.
$cert = Get-ChildItem Cert:\LocalMachine\My | Where-Object { $_.Subject -eq $subject } | Select-Object -First 1
if (-not $cert) {
  $cert = New-SelfSignedCertificate -Type CodeSigningCert -Subject $subject `
    -CertStoreLocation Cert:\LocalMachine\My -KeyExportPolicy NonExportable -NotAfter (Get-Date).AddYears(1)
  Write-Host "Created certificate $($cert.Thumbprint)"
}
$cer = Join-Path $env:TEMP 'sharedmemory-test-signing.cer'
Export-Certificate -Cert $cert -FilePath $cer | Out-Null
foreach ($store in @('Root', 'TrustedPublisher')) {
  Import-Certificate -FilePath $cer -CertStoreLocation "Cert:\LocalMachine\$store" | Out-Null
}
Remove-Item $cer

# 2. The package: .sys and .inf together, the .sys signed, then the catalog made and signed.
New-Item -ItemType Directory -Force -Path $Package | Out-Null
Copy-Item $Sys (Join-Path $Package 'sharedmemory.sys') -Force
Copy-Item $Inf (Join-Path $Package 'sharedmemory.inf') -Force
$signArgs = @('sign', '/fd', 'sha256', '/sm', '/s', 'My', '/sha1', $cert.Thumbprint)
Invoke-Checked $signtool ($signArgs + @((Join-Path $Package 'sharedmemory.sys')))
Invoke-Checked $inf2cat @("/driver:$Package", '/os:10_X64', '/uselocaltime')
Invoke-Checked $signtool ($signArgs + @((Join-Path $Package 'sharedmemory.cat')))
Invoke-Checked $signtool @('verify', '/pa', '/v', (Join-Path $Package 'sharedmemory.sys'))
Write-Host "Signed package: $Package"

# 3. Test-signing mode.
if (-not $NoBcdedit) {
  Invoke-Checked 'bcdedit.exe' @('/set', 'testsigning', 'on')
  Write-Host 'Test signing is on after the next reboot ("Test Mode" shows on the desktop).'
  Write-Host 'To turn it off later: bcdedit /set testsigning off'
}
