# The prelude: sent with every script run and dot-sourced by the bootstrap before the script, so every script
# shares ONE copy of parameter access, owner marks, the boot identity, the restart mark and the result shape.
# Only functions and constants: it never acts by itself.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$PulumiKey = 'HKLM:\SOFTWARE\Pulumi\NDES'
$OwnersKey = 'HKLM:\SOFTWARE\Pulumi\NDES\Owners'

function Get-Param($From, [string] $Name, $Default) {
    # A parameter the caller may leave out (StrictMode refuses a missing property); $Default when absent or null.
    if ($From.PSObject.Properties.Name -contains $Name -and $null -ne $From.$Name) { return $From.$Name }
    return $Default
}

function Get-OwnerMark([string] $Mark) {
    # The owner recorded for one object this project made ('' when none): HKLM:\SOFTWARE\Pulumi\NDES\Owners.
    if (-not (Test-Path -LiteralPath $OwnersKey)) { return '' }
    $key = Get-Item -LiteralPath $OwnersKey
    if (-not ($key.GetValueNames() -contains $Mark)) { return '' }
    return [string] $key.GetValue($Mark)
}

function Set-OwnerMark([string] $Mark, [string] $Owner) {
    if (-not $Owner) { return }
    if (-not (Test-Path -LiteralPath $OwnersKey)) { New-Item -Path $OwnersKey -Force | Out-Null }
    New-ItemProperty -LiteralPath $OwnersKey -Name $Mark -PropertyType String -Value $Owner -Force | Out-Null
}

function Clear-OwnerMark([string] $Mark) {
    if ((Get-OwnerMark $Mark) -ne '') { Remove-ItemProperty -LiteralPath $OwnersKey -Name $Mark }
}

function Get-BootId {
    # The current boot: Windows' boot counter (Memory Management\PrefetchParameters BootId, raised at every boot,
    # untouched by clock steps), else the boot's start time to the minute (LastBootUpTime moves when the clock is
    # stepped: w32time, Hyper-V time sync).
    $prefetch = 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management\PrefetchParameters'
    if (Test-Path -LiteralPath $prefetch) {
        $counter = Get-Param (Get-ItemProperty -LiteralPath $prefetch) 'BootId' $null
        if ($null -ne $counter) { return 'boot:' + [string]([uint32]$counter) }
    }
    return (Get-CimInstance -ClassName Win32_OperatingSystem).LastBootUpTime.ToUniversalTime().ToString('yyyy-MM-ddTHH:mmZ')
}

function Set-RebootMark {
    # A restart THIS project asked for during the current boot (HostReboot acts on it and on nothing else).
    if (-not (Test-Path -LiteralPath $PulumiKey)) { New-Item -Path $PulumiKey -Force | Out-Null }
    New-ItemProperty -LiteralPath $PulumiKey -Name 'RebootPendingBoot' -PropertyType String -Value (Get-BootId) `
        -Force | Out-Null
}

function New-Result($State, [bool] $Changed = $false, [bool] $RebootRequired = $false, $Warnings = @()) {
    # The one result document every script returns.
    return @{ changed = $Changed; state = $State; rebootRequired = $RebootRequired; warnings = @($Warnings) }
}
