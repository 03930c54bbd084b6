param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# HostBoot: the current boot and the raw pending-restart indicators (contract and the decision what to act on:
# ndes/windows/contracts/host_boot.py). set with restart = $true: Restart-Computer -Force (the answer may be cut
# short by the restart itself).

$bootId = Get-BootId
$markBoot = ''
if (Test-Path -LiteralPath $PulumiKey) {
    $markBoot = [string] (Get-Param (Get-ItemProperty -LiteralPath $PulumiKey) 'RebootPendingBoot' '')
}
$sm = Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager'
$state = @{
    bootId = $bootId
    rebootMarkBoot = $markBoot
    cbsRebootPending = (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending')
    windowsUpdateRebootRequired = (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired')
    pendingFileRenameOperations = ($sm.PSObject.Properties.Name -contains 'PendingFileRenameOperations')
}
$changed = $false
if ($Params.mode -eq 'set' -and $Params.restart) {
    Restart-Computer -Force
    $changed = $true
}
New-Result -State $state -Changed $changed
