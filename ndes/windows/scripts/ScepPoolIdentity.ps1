# ScepPoolIdentity: the SCEP app pool's identity (the NDES service account) and its password, set again after a
# password rotation and then recycled. get compares the pool's stored password with the given one on the host
# (the stored password never leaves it; no domain logon is attempted, so no bad-password count).
# Contract (params, state): ndes/windows/contracts/scep_pool_identity.py.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module -Name 'WebAdministration'
$pool = 'IIS:\AppPools\SCEP'
$changed = $false

if ($Params.mode -eq 'set' -and [string] $Params.action -eq 'update') {
    if (-not (Test-Path -LiteralPath $pool)) { throw 'the SCEP application pool does not exist: install NDES first (NdesRole)' }
    Set-ItemProperty -LiteralPath $pool -Name 'processModel' -Value @{
        identityType = 'SpecificUser'; userName = [string] $Params.userName; password = [string] $Params.password }
    # a pool stopped by failed logons (the reason to rotate) cannot be recycled (0x80070425,
    # dsccommunity/WebAdministrationDsc#230): start it; a running one is recycled to log on again
    if ((Get-WebAppPoolState -Name 'SCEP').Value -eq 'Stopped') { Start-WebAppPool -Name 'SCEP' }
    else { Restart-WebAppPool -Name 'SCEP' }
    $changed = $true
}

$state = @{ exists = (Test-Path -LiteralPath $pool); identityType = ''; userName = ''; passwordMatches = $false
    state = '' }
if ($state.exists) {
    $model = Get-ItemProperty -LiteralPath $pool -Name 'processModel'
    $state.identityType = [string] $model.identityType
    $state.userName = [string] $model.userName
    $state.passwordMatches = ([string] $model.password) -ceq ([string] $Params.password)
    $state.state = [string] (Get-WebAppPoolState -Name 'SCEP').Value
}
New-Result -State $state -Changed $changed
