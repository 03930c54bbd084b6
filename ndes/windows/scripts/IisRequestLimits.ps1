param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# IIS request filtering limits of a site (Default Web Site): requestLimits maxUrl and maxQueryString (the guide:
# 65534 each), set at the site's location; ensure absent removes the site-level values (the site inherits the
# server's again). The state holds the effective values as IIS applies them. Contract:
# ndes/windows/contracts/iis_request_limits.py. Owner marks and New-Result come from the prelude.
Import-Module -Name 'WebAdministration'

$apphost = 'MACHINE/WEBROOT/APPHOST'
$filter = 'system.webServer/security/requestFiltering/requestLimits'
$site = [string] $Params.site
$mark = 'IisRequestLimits:' + $site.ToLowerInvariant()

function Read-Limit([string] $Name) {
    $attr = Get-WebConfigurationProperty -PSPath $apphost -Location $site -Filter $filter -Name $Name
    return [int64] $attr.Value
}

function Read-ServerLimit([string] $Name) {
    $attr = Get-WebConfigurationProperty -PSPath $apphost -Filter $filter -Name $Name
    return [int64] $attr.Value
}

$siteExists = Test-Path -LiteralPath (Join-Path -Path 'IIS:\Sites' -ChildPath $site)
$changed = $false
if ($Params.mode -eq 'set') {
    if (-not $siteExists) {
        throw (New-Object -TypeName System.Management.Automation.ItemNotFoundException -ArgumentList (
            'IIS site ''' + $site + ''' does not exist'))
    }
    foreach ($name in @('maxUrl', 'maxQueryString')) {
        if ($Params.ensure -eq 'absent') {
            if ((Read-Limit $name) -ne (Read-ServerLimit $name)) {
                Remove-WebConfigurationProperty -PSPath $apphost -Location $site -Filter $filter -Name $name
                $changed = $true
            }
            continue
        }
        $want = [uint32] $Params.$name
        if ((Read-Limit $name) -ne $want) {
            Set-WebConfigurationProperty -PSPath $apphost -Location $site -Filter $filter -Name $name -Value $want
            $changed = $true
        }
    }
    if ($Params.ensure -eq 'absent') { Clear-OwnerMark $mark } else { Set-OwnerMark $mark ([string]$Params.owner) }
}
$state = @{ site = $site; siteExists = [bool] $siteExists; maxUrl = $null; maxQueryString = $null
    owner = (Get-OwnerMark $mark) }
if ($siteExists) {
    $state.maxUrl = Read-Limit 'maxUrl'
    $state.maxQueryString = Read-Limit 'maxQueryString'
}
New-Result -State $state -Changed $changed
