# The host's boot and its pending restart. get: {bootId, rebootPending, pendingReasons}; set with
# restart = $true: Restart-Computer -Force (the answer may be cut short by the restart itself).
# A restart counts as pending when Windows says so (Component Based Servicing, Windows Update, pending file
# renames) or when one of our scripts recorded that a change it made needs one during the current boot
# (HKLM:\SOFTWARE\Pulumi\NDES RebootPendingBoot = that boot's id).
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$os = Get-CimInstance -ClassName Win32_OperatingSystem
$bootId = $os.LastBootUpTime.ToUniversalTime().ToString('o')
$reasons = @()
if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') {
    $reasons += 'Component Based Servicing'
}
if (Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') {
    $reasons += 'Windows Update'
}
$sm = Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager'
if ($sm.PSObject.Properties.Name -contains 'PendingFileRenameOperations') {
    $reasons += 'pending file rename operations'
}
$marker = 'HKLM:\SOFTWARE\Pulumi\NDES'
if (Test-Path -LiteralPath $marker) {
    $m = Get-ItemProperty -LiteralPath $marker
    if ($m.PSObject.Properties.Name -contains 'RebootPendingBoot' -and $m.RebootPendingBoot -eq $bootId) {
        $reasons += 'a setting changed by Pulumi'
    }
}

$changed = $false
if ($Params.mode -eq 'set' -and $Params.PSObject.Properties.Name -contains 'restart' -and $Params.restart) {
    Restart-Computer -Force
    $changed = $true
}
@{
    changed = $changed
    state = @{ bootId = $bootId; rebootPending = ($reasons.Count -gt 0); pendingReasons = @($reasons) }
    rebootRequired = ($reasons.Count -gt 0)
    warnings = @()
}
