param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# HostIdentity: the boot, the computer's own name and domain membership, and the caller's logon, as raw facts
# (contract and the decision whether this is the joined host: ndes/windows/contracts/host_identity.py).
# Read only.

$cs = Get-CimInstance -ClassName Win32_ComputerSystem
$state = @{
    bootId = Get-BootId
    computerName = [string] $cs.Name
    dnsHostName = [string] $cs.DNSHostName
    domain = [string] $cs.Domain
    partOfDomain = [bool] $cs.PartOfDomain
    user = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name
}
New-Result -State $state
