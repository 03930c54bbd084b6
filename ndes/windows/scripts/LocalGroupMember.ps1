param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# One member of a local group (the NDES service account in IIS_IUSRS), as facts: the account's SID and the
# group's members (objectSid, ADsPath) listed through the ADSI WinNT provider, which, unlike
# Get-LocalGroupMember, does not fail on orphaned SIDs (PowerShell/PowerShell#2996). Python decides membership
# by SID (ndes/windows/contracts/local_group_member.py). Owner marks come from the prelude.

$group = [string] $Params.group
$member = [string] $Params.member
if ($group -match '[,/\\]') { throw ('''{0}'' is not a local group name' -f $group) }
$mark = 'LocalGroupMember:' + $group.ToLowerInvariant() + ':' + $member.ToLowerInvariant()
$null = Get-LocalGroup -Name $group  # GroupNotFound (ObjectNotFound) when there is no such group

function Get-MemberSid {
    try {
        $account = New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $member
        return $account.Translate([System.Security.Principal.SecurityIdentifier]).Value
    } catch {
        return ''
    }
}

function Get-Members {
    $adsi = [ADSI] ('WinNT://' + $env:COMPUTERNAME + '/' + $group + ',group')
    $out = @()
    foreach ($m in @($adsi.psbase.Invoke('Members'))) {
        $type = $m.GetType()
        $bytes = [byte[]] $type.InvokeMember('objectSid', 'GetProperty', $null, $m, $null)
        $sid = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $bytes, 0
        $out += @{ sid = $sid.Value; path = [string] $type.InvokeMember('ADsPath', 'GetProperty', $null, $m, $null) }
    }
    return $out
}

$changed = $false
if ($Params.mode -eq 'set') {
    switch ($Params.action) {
        'add' {
            try {
                Add-LocalGroupMember -Group $group -Member $member
                $changed = $true
            } catch [Microsoft.PowerShell.Commands.MemberExistsException] {
                $changed = $false  # already a member under another spelling: what we wanted
            }
            Set-OwnerMark $mark ([string] $Params.owner)
        }
        'keep' { Set-OwnerMark $mark ([string] $Params.owner) }
        'remove' {
            if ($Params.sid) {
                try {
                    Remove-LocalGroupMember -Group $group -Member ([string] $Params.sid)
                    $changed = $true
                } catch [Microsoft.PowerShell.Commands.MemberNotFoundException] {
                    $changed = $false
                }
            }
            Clear-OwnerMark $mark
        }
        default { throw ('unknown action ''{0}'' (add, keep, remove)' -f $Params.action) }
    }
}
New-Result -State @{ group = $group; memberSid = (Get-MemberSid); members = @(Get-Members)
    owner = (Get-OwnerMark $mark) } -Changed $changed
