# One member of a local group (the NDES service account in IIS_IUSRS).
# Params: mode get|set; group; member (DOMAIN\name); ensure present|absent; owner.
# State: {group, member, present, memberName, objectClass, principalSource, owner}; the owner mark lives under
# HKLM:\SOFTWARE\Pulumi\NDES\Owners as 'LocalGroupMember:<group>:<member>'.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ownersKey = 'HKLM:\SOFTWARE\Pulumi\NDES\Owners'
$group = [string] $Params.group
$member = [string] $Params.member
$mark = 'LocalGroupMember:' + $group.ToLowerInvariant() + ':' + $member.ToLowerInvariant()
$owner = ''
if ($Params.PSObject.Properties.Name -contains 'owner' -and $Params.owner) { $owner = [string] $Params.owner }
$ensure = 'present'
if ($Params.PSObject.Properties.Name -contains 'ensure' -and $Params.ensure) { $ensure = [string] $Params.ensure }

function Get-OwnerMark {
    if (-not (Test-Path -LiteralPath $ownersKey)) { return '' }
    $key = Get-Item -LiteralPath $ownersKey
    if (-not ($key.GetValueNames() -contains $mark)) { return '' }
    return [string] $key.GetValue($mark)
}

function Find-Member {
    foreach ($m in @(Get-LocalGroupMember -Group $group)) {
        if ([string]::Equals([string] $m.Name, $member, [StringComparison]::OrdinalIgnoreCase)) { return $m }
    }
    return $null
}

$found = Find-Member
$changed = $false
if ($Params.mode -eq 'set') {
    if ($ensure -eq 'absent') {
        if ($null -ne $found) {
            Remove-LocalGroupMember -Group $group -Member $member
            $changed = $true
        }
        if ((Get-OwnerMark) -ne '') { Remove-ItemProperty -LiteralPath $ownersKey -Name $mark }
    } else {
        if ($null -eq $found) {
            Add-LocalGroupMember -Group $group -Member $member
            $changed = $true
        }
        if ($owner) {
            if (-not (Test-Path -LiteralPath $ownersKey)) { New-Item -Path $ownersKey -Force | Out-Null }
            New-ItemProperty -LiteralPath $ownersKey -Name $mark -PropertyType String -Value $owner -Force | Out-Null
        }
    }
    if ($changed) { $found = Find-Member }
}
$state = @{ group = $group; member = $member; present = ($null -ne $found); memberName = $null; objectClass = $null
    principalSource = $null; owner = (Get-OwnerMark) }
if ($null -ne $found) {
    $state.memberName = [string] $found.Name
    $state.objectClass = [string] $found.ObjectClass
    $state.principalSource = [string] $found.PrincipalSource
}
@{ changed = $changed; state = $state; rebootRequired = $false; warnings = @() }
