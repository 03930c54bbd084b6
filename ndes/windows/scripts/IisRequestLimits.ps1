# IIS request filtering limits of a site (Default Web Site): requestLimits maxUrl and maxQueryString (the guide:
# 65534 each). Params: mode get|set; site; maxUrl; maxQueryString; ensure present|absent (absent removes the
# site-level values, so the site inherits the server's again); owner.
# State: {site, siteExists, maxUrl, maxQueryString, owner} (effective values as IIS applies them).
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module -Name 'WebAdministration'

$ownersKey = 'HKLM:\SOFTWARE\Pulumi\NDES\Owners'
$apphost = 'MACHINE/WEBROOT/APPHOST'
$filter = 'system.webServer/security/requestFiltering/requestLimits'
$site = [string] $Params.site
$mark = 'IisRequestLimits:' + $site.ToLowerInvariant()
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
        if ($ensure -eq 'absent') {
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
    if ($ensure -eq 'absent') {
        if ((Get-OwnerMark) -ne '') { Remove-ItemProperty -LiteralPath $ownersKey -Name $mark }
    } elseif ($owner) {
        if (-not (Test-Path -LiteralPath $ownersKey)) { New-Item -Path $ownersKey -Force | Out-Null }
        New-ItemProperty -LiteralPath $ownersKey -Name $mark -PropertyType String -Value $owner -Force | Out-Null
    }
}
$state = @{ site = $site; siteExists = [bool] $siteExists; maxUrl = $null; maxQueryString = $null; owner = (Get-OwnerMark) }
if ($siteExists) {
    $state.maxUrl = Read-Limit 'maxUrl'
    $state.maxQueryString = Read-Limit 'maxQueryString'
}
@{ changed = $changed; state = $state; rebootRequired = $false; warnings = @() }
