; Installs and removes the SharedMemory kernel driver. electron-builder includes
; this file in its NSIS installer and uninstaller (nsis.include in
; electron-builder.yml) and inserts customInstall after the app's files are in
; place, customUnInstall before they are removed. On an update the old version's
; uninstaller runs first, and customInstall removes whatever is left, so the new
; driver always replaces the old one cleanly.
;
; The installer is a 32-bit process: every call into System32 happens with WOW64
; file-system redirection turned off, so the 64-bit pnputil.exe and sc.exe run
; and see the real driver store. sc.exe and pnputil.exe return Win32 error codes
; as their exit codes; every one is checked, and a failure tells the user what
; to do. A driver failure never aborts the app's installation: without the
; driver the app runs on its simulated driver and says so.

!include LogicLib.nsh
!include x64.nsh
!include WordFunc.nsh

!define SHM_SERVICE "SharedMemory"
!define SHM_DRIVER_DIR "$INSTDIR\resources\driver"
!define SHM_INF "sharedmemory.inf"
!define SHM_SYS "sharedmemory.sys"
; Where the installer records the driver store's name for the package (oemN.inf),
; which pnputil needs to remove it again.
!define SHM_REG_PARENT_KEY "Software\SharedMemory"
!define SHM_REG_KEY "${SHM_REG_PARENT_KEY}\Driver"
!define SHM_REG_PUBLISHED_INF "PublishedInf"

; Win32 error codes seen as sc.exe / pnputil.exe exit codes.
!define SHM_ERROR_FILE_NOT_FOUND 2
!define SHM_ERROR_ACCESS_DENIED 5
!define SHM_ERROR_INVALID_IMAGE_HASH 577
!define SHM_ERROR_SERVICE_ALREADY_RUNNING 1056
!define SHM_ERROR_SERVICE_DISABLED 1058
!define SHM_ERROR_SERVICE_DOES_NOT_EXIST 1060
!define SHM_ERROR_SERVICE_CANNOT_ACCEPT_CTRL 1061
!define SHM_ERROR_SERVICE_NOT_ACTIVE 1062
!define SHM_ERROR_SERVICE_EXISTS 1073
!define SHM_ERROR_SERVICE_MARKED_FOR_DELETE 1072
!define SHM_ERROR_DRIVER_BLOCKED 1275
!define SHM_ERROR_SUCCESS_REBOOT_REQUIRED 3010

!define SHM_TEST_SIGNING_HELP "This build of the driver is test-signed. To use it, open a Command Prompt as administrator and run:$\r$\n$\r$\n    bcdedit /set testsigning on$\r$\n$\r$\nthen restart Windows and press Start driver in SharedMemory (or run: sc start SharedMemory). If Secure Boot is on, Windows refuses test signing until it is turned off in the firmware settings."
!define SHM_FALLBACK "Until then SharedMemory uses its simulated driver."

; Runs a System32 tool without a window; its output goes to the details log.
; Leaves the exit code (or "error" when the tool could not be started) in $0.
!macro _shmRun TOOL ARGS
  DetailPrint `${TOOL} ${ARGS}`
  nsExec::ExecToLog '"$WINDIR\System32\${TOOL}" ${ARGS}'
  Pop $0
!macroend

; Stops the service, removes the driver package from the driver store and
; deletes the service. Each step accepts "already gone". Clobbers $0-$2.
!macro _shmRemoveDriver
  ; sc stop answers 1061 while the driver is still stopping, 1062 once stopped.
  StrCpy $1 0
  ${Do}
    !insertmacro _shmRun "sc.exe" "stop ${SHM_SERVICE}"
    ${If} $0 == "error"
      MessageBox MB_OK|MB_ICONEXCLAMATION "sc.exe could not be started, so the SharedMemory driver was not stopped." /SD IDOK
      ${Break}
    ${EndIf}
    ${If} $0 = ${SHM_ERROR_SERVICE_NOT_ACTIVE}
    ${OrIf} $0 = ${SHM_ERROR_SERVICE_DOES_NOT_EXIST}
      ${Break}
    ${EndIf}
    ${If} $0 = ${SHM_ERROR_ACCESS_DENIED}
      MessageBox MB_OK|MB_ICONEXCLAMATION "Stopping the SharedMemory driver was denied (error 5): run the installer as an administrator." /SD IDOK
      ${Break}
    ${EndIf}
    IntOp $1 $1 + 1
    ${If} $1 >= 20
      MessageBox MB_OK|MB_ICONEXCLAMATION "The SharedMemory driver did not stop within 10 seconds (sc.exe stop: error $0). Close SharedMemory and every program using the device; the driver is removed at the next restart." /SD IDOK
      SetRebootFlag true
      ${Break}
    ${EndIf}
    Sleep 500
  ${Loop}

  ; Removing the package from the driver store also removes the service that
  ; its INF added (the primitive-driver model, Windows 10 1903 and later).
  ReadRegStr $2 HKLM "${SHM_REG_KEY}" "${SHM_REG_PUBLISHED_INF}"
  ${If} $2 != ""
    !insertmacro _shmRun "pnputil.exe" "/delete-driver $2 /uninstall /force"
    ${If} $0 == "error"
      MessageBox MB_OK|MB_ICONEXCLAMATION "pnputil.exe could not be started; the driver package $2 stays in the driver store (remove it with: pnputil /delete-driver $2 /uninstall)." /SD IDOK
    ${ElseIf} $0 = ${SHM_ERROR_SUCCESS_REBOOT_REQUIRED}
      SetRebootFlag true
      DeleteRegValue HKLM "${SHM_REG_KEY}" "${SHM_REG_PUBLISHED_INF}"
    ${ElseIf} $0 = 0
    ${OrIf} $0 = ${SHM_ERROR_FILE_NOT_FOUND}
      DeleteRegValue HKLM "${SHM_REG_KEY}" "${SHM_REG_PUBLISHED_INF}"
    ${Else}
      MessageBox MB_OK|MB_ICONEXCLAMATION "pnputil.exe could not remove the driver package $2 (error $0). Remove it later with: pnputil /delete-driver $2 /uninstall /force" /SD IDOK
    ${EndIf}
  ${EndIf}
  DeleteRegKey /ifempty HKLM "${SHM_REG_KEY}"
  DeleteRegKey /ifempty HKLM "${SHM_REG_PARENT_KEY}"

  ; A service created by hand (or on Windows before 1903) outlives the package.
  !insertmacro _shmRun "sc.exe" "delete ${SHM_SERVICE}"
  ${If} $0 = ${SHM_ERROR_SERVICE_MARKED_FOR_DELETE}
    SetRebootFlag true
    DetailPrint "The SharedMemory service is removed when Windows restarts."
  ${ElseIf} $0 != "error"
  ${AndIf} $0 <> 0
  ${AndIf} $0 <> ${SHM_ERROR_SERVICE_DOES_NOT_EXIST}
    MessageBox MB_OK|MB_ICONEXCLAMATION "sc.exe could not delete the SharedMemory service (error $0). Delete it later with: sc delete SharedMemory" /SD IDOK
  ${EndIf}
!macroend

; Adds the driver package to the driver store and installs it, which creates
; the SharedMemory service. Records the package's published name. Leaves $0 = 0
; on success, a non-zero number otherwise (never "error", which LogicLib's
; integer tests would read as 0). Clobbers $0-$3.
!macro _shmAddDriverPackage
  DetailPrint "pnputil.exe /add-driver ${SHM_INF} /install"
  nsExec::ExecToStack '"$WINDIR\System32\pnputil.exe" /add-driver "${SHM_DRIVER_DIR}\${SHM_INF}" /install'
  Pop $0
  Pop $1
  DetailPrint "$1"
  ${If} $0 == "error"
    MessageBox MB_OK|MB_ICONEXCLAMATION "pnputil.exe could not be started, so the SharedMemory driver was not installed. ${SHM_FALLBACK}" /SD IDOK
    StrCpy $0 1
  ${ElseIf} $0 = 0
  ${OrIf} $0 = ${SHM_ERROR_SUCCESS_REBOOT_REQUIRED}
    ${If} $0 = ${SHM_ERROR_SUCCESS_REBOOT_REQUIRED}
      SetRebootFlag true
    ${EndIf}
    StrCpy $0 0
    ; The driver store names the package oemN.inf. Its name is the last
    ; "oem...inf" in pnputil's output, in whatever language Windows speaks.
    ClearErrors
    ${WordFind} "$1" "oem" "E-1}" $2
    ${IfNot} ${Errors}
      ${WordFind} "$2" ".inf" "E+1{" $3
      ${IfNot} ${Errors}
        IntOp $2 $3 + 0
        ${If} "$2" == "$3"
          WriteRegStr HKLM "${SHM_REG_KEY}" "${SHM_REG_PUBLISHED_INF}" "oem$3.inf"
        ${EndIf}
      ${EndIf}
    ${EndIf}
  ${Else}
    MessageBox MB_OK|MB_ICONEXCLAMATION "Windows did not accept the SharedMemory driver package (pnputil.exe error $0).$\r$\n$\r$\n${SHM_TEST_SIGNING_HELP}$\r$\n$\r$\n${SHM_FALLBACK}" /SD IDOK
  ${EndIf}
!macroend

; Makes sure the service exists: Windows before 10 1903 adds the package to the
; store without running its install section, so create the service by hand,
; loading the driver from the app's resources. Leaves $0 = 0 when the service
; exists, a non-zero number otherwise.
!macro _shmEnsureService
  !insertmacro _shmRun "sc.exe" "query ${SHM_SERVICE}"
  ${If} $0 = ${SHM_ERROR_SERVICE_DOES_NOT_EXIST}
    !insertmacro _shmRun "sc.exe" 'create ${SHM_SERVICE} type= kernel start= demand error= normal binPath= "${SHM_DRIVER_DIR}\${SHM_SYS}" DisplayName= "SharedMemory"'
    ${If} $0 = ${SHM_ERROR_SERVICE_EXISTS}
      StrCpy $0 0
    ${EndIf}
    ${If} $0 == "error"
    ${OrIf} $0 <> 0
      MessageBox MB_OK|MB_ICONEXCLAMATION "sc.exe could not create the SharedMemory service (error $0). ${SHM_FALLBACK}" /SD IDOK
      StrCpy $0 1
    ${EndIf}
  ${ElseIf} $0 == "error"
    MessageBox MB_OK|MB_ICONEXCLAMATION "sc.exe could not be started, so the SharedMemory driver was not installed. ${SHM_FALLBACK}" /SD IDOK
    StrCpy $0 1
  ${Else}
    StrCpy $0 0
  ${EndIf}
!macroend

; Starts the service and explains the usual reasons Windows refuses a driver.
!macro _shmStartService
  !insertmacro _shmRun "sc.exe" "start ${SHM_SERVICE}"
  ${If} $0 == "error"
    MessageBox MB_OK|MB_ICONEXCLAMATION "sc.exe could not be started, so the SharedMemory driver was not started. ${SHM_FALLBACK}" /SD IDOK
  ${ElseIf} $0 = 0
  ${OrIf} $0 = ${SHM_ERROR_SERVICE_ALREADY_RUNNING}
    DetailPrint "The SharedMemory driver is running."
  ${ElseIf} $0 = ${SHM_ERROR_INVALID_IMAGE_HASH}
    MessageBox MB_OK|MB_ICONEXCLAMATION "The SharedMemory driver is installed, but Windows did not load it: its signature is not trusted (error 577).$\r$\n$\r$\n${SHM_TEST_SIGNING_HELP}$\r$\n$\r$\n${SHM_FALLBACK}" /SD IDOK
  ${ElseIf} $0 = ${SHM_ERROR_DRIVER_BLOCKED}
    MessageBox MB_OK|MB_ICONEXCLAMATION "The SharedMemory driver is installed, but Windows blocked it from loading (error 1275). Core isolation (Memory integrity) or the vulnerable-driver blocklist can do this; see Windows Security > Device security. ${SHM_FALLBACK}" /SD IDOK
  ${ElseIf} $0 = ${SHM_ERROR_SERVICE_DISABLED}
    MessageBox MB_OK|MB_ICONEXCLAMATION "The SharedMemory service is disabled (error 1058). Enable it with: sc config SharedMemory start= demand" /SD IDOK
  ${Else}
    MessageBox MB_OK|MB_ICONEXCLAMATION "The SharedMemory driver is installed, but it did not start (sc.exe start: error $0). Event Viewer > Windows Logs > System has the details. ${SHM_FALLBACK}" /SD IDOK
  ${EndIf}
!macroend

!macro customInstall
  Push $0
  Push $1
  Push $2
  Push $3
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONEXCLAMATION "The SharedMemory driver needs 64-bit Windows. ${SHM_FALLBACK}" /SD IDOK
  ${ElseIfNot} ${FileExists} "${SHM_DRIVER_DIR}\${SHM_INF}"
    MessageBox MB_OK|MB_ICONEXCLAMATION "This installer carries no driver package (resources\driver\${SHM_INF}). ${SHM_FALLBACK}" /SD IDOK
  ${Else}
    ${DisableX64FSRedirection}
    DetailPrint "Removing any SharedMemory driver already installed"
    !insertmacro _shmRemoveDriver
    !insertmacro _shmAddDriverPackage
    ${If} $0 = 0
      !insertmacro _shmEnsureService
      ${If} $0 = 0
        !insertmacro _shmStartService
      ${EndIf}
    ${EndIf}
    ${EnableX64FSRedirection}
  ${EndIf}
  Pop $3
  Pop $2
  Pop $1
  Pop $0
!macroend

!macro customUnInstall
  Push $0
  Push $1
  Push $2
  ${If} ${RunningX64}
    ${DisableX64FSRedirection}
    DetailPrint "Removing the SharedMemory driver"
    !insertmacro _shmRemoveDriver
    ${EnableX64FSRedirection}
  ${EndIf}
  Pop $2
  Pop $1
  Pop $0
!macroend
