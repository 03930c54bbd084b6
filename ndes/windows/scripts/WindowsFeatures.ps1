param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# Windows roles and features (ADCS-Device-Enrollment, Web-Server and what NDES needs). set present installs the
# missing ones (Install-WindowsFeature) and records what it installed under HKLM:\SOFTWARE\Pulumi\NDES\
# InstalledFeatures (value = owner); set absent uninstalls only features recorded there for this owner.
# rebootRequired when Windows says a restart is needed. Contract: ndes/windows/contracts/windows_features.py;
# Set-RebootMark and New-Result come from the prelude.

$recordKey = 'HKLM:\SOFTWARE\Pulumi\NDES\InstalledFeatures'
$owner = [string] $Params.owner
$ownerName = $owner
if (-not $ownerName) { $ownerName = '(no owner)' }
$ensure = [string] $Params.ensure
$tools = [bool] $Params.includeManagementTools
$names = @($Params.features | ForEach-Object { [string] $_ })

function Get-Record {
    if (-not (Test-Path -LiteralPath $recordKey)) { return @() }
    $key = Get-Item -LiteralPath $recordKey
    if (-not ($key.GetValueNames() -contains $ownerName)) { return @() }
    return @($key.GetValue($ownerName))
}

function Set-Record([string[]] $Installed) {
    if ($Installed.Count -eq 0) {
        if ((Test-Path -LiteralPath $recordKey) -and ((Get-Item -LiteralPath $recordKey).GetValueNames() -contains $ownerName)) {
            Remove-ItemProperty -LiteralPath $recordKey -Name $ownerName
        }
        return
    }
    if (-not (Test-Path -LiteralPath $recordKey)) { New-Item -Path $recordKey -Force | Out-Null }
    New-ItemProperty -LiteralPath $recordKey -Name $ownerName -PropertyType MultiString -Value $Installed -Force | Out-Null
}

function Read-Features {
    $found = @{}
    foreach ($f in @(Get-WindowsFeature -Name $names)) { $found[$f.Name.ToLowerInvariant()] = $f }
    $list = @()
    $unknown = @()
    foreach ($n in $names) {
        $f = $found[$n.ToLowerInvariant()]
        if ($null -eq $f) { $unknown += $n; continue }
        $list += @{ name = $f.Name; displayName = $f.DisplayName; installed = [bool] $f.Installed
            installState = $f.InstallState.ToString() }
    }
    return @{ features = $list; unknown = $unknown }
}

$changed = $false
$rebootRequired = $false
$warnings = @()
$now = Read-Features
if ($Params.mode -eq 'set') {
    $record = @(Get-Record)
    if ($ensure -eq 'absent') {
        $remove = @($now.features | Where-Object { $_.installed -and ($record -contains $_.name) } |
            ForEach-Object { $_.name })
        if ($remove.Count -gt 0) {
            $r = Uninstall-WindowsFeature -Name $remove
            if (-not $r.Success) { throw ('Uninstall-WindowsFeature did not succeed for ' + ($remove -join ', ')) }
            $changed = $true
            if ($r.RestartNeeded.ToString() -eq 'Yes') { $rebootRequired = $true }
        }
        Set-Record @($record | Where-Object { $remove -notcontains $_ })
    } else {
        if ($now.unknown.Count -gt 0) {
            throw (New-Object -TypeName System.ArgumentException -ArgumentList ('ArgumentNotValid: The role, role ' +
                'service, or feature name is not valid: ' + ($now.unknown -join ', ') + '. The name was not found.'))
        }
        $missing = @($now.features | Where-Object { -not $_.installed } | ForEach-Object { $_.name })
        if ($missing.Count -gt 0) {
            $r = Install-WindowsFeature -Name $missing -IncludeManagementTools:$tools
            if (-not $r.Success) { throw ('Install-WindowsFeature did not succeed for ' + ($missing -join ', ')) }
            $changed = $true
            if ($r.RestartNeeded.ToString() -eq 'Yes') { $rebootRequired = $true }
            $all = @($record) + $missing
            Set-Record @($all | Select-Object -Unique)
        }
    }
    if ($changed) { $now = Read-Features }
    if ($rebootRequired) { Set-RebootMark }  # a restart this project asked for (HostReboot acts on it)
}
New-Result -State @{ features = @($now.features); unknown = @($now.unknown); installedByOwner = @(Get-Record)
    owner = $owner } -Changed $changed -RebootRequired $rebootRequired -Warnings $warnings
