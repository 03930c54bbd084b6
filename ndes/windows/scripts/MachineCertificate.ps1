# MachineCertificate: an SSL certificate in LocalMachine\My requested from an Enterprise CA template
# (Get-Certificate against the AD enrollment policy), subject and DNS names as given, marked with the owner in
# its FriendlyName so a crashed create finds its own certificate again.
# Params: mode get|set, ensure present|absent, thumbprint (the one this resource holds, may be empty), template,
#   subject (an X.500 name, e.g. CN=ndes1.contoso.com), dnsNames (list), friendlyName, renewBeforeDays.
# get: state of the certificate `thumbprint` (exists false when gone), plus `match`: the thumbprint of a valid
#   certificate in the store from this template with this subject and names (for adoption), else ''.
# set present: keeps `thumbprint` when it still exists and is not within renewBeforeDays of expiry; otherwise
#   requests a new one. set absent: deletes `thumbprint` and its key.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$store = 'Cert:\LocalMachine\My'

function Get-TemplateName($Cert) {
    foreach ($ext in $Cert.Extensions) {
        if ($ext.Oid.Value -eq '1.3.6.1.4.1.311.21.7' -or $ext.Oid.Value -eq '1.3.6.1.4.1.311.20.2') {
            $text = $ext.Format($false)
            if ($text -match '^Template=([^(,]+)') { return $Matches[1].Trim() }
            return $text.Trim()
        }
    }
    return ''
}

function Get-DnsNames($Cert) {
    $names = @()
    foreach ($entry in $Cert.DnsNameList) { $names += $entry.Unicode.ToLowerInvariant() }
    return $names
}

function ConvertTo-Facts($Cert) {
    $now = [DateTime]::UtcNow
    return @{
        exists = $true; thumbprint = $Cert.Thumbprint.ToUpperInvariant(); subject = $Cert.Subject
        commonName = $Cert.GetNameInfo([System.Security.Cryptography.X509Certificates.X509NameType]::SimpleName, $false)
        dnsNames = @(Get-DnsNames $Cert); template = (Get-TemplateName $Cert); issuer = $Cert.Issuer
        notBefore = $Cert.NotBefore.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
        notAfter = $Cert.NotAfter.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
        daysLeft = [int][Math]::Floor(($Cert.NotAfter.ToUniversalTime() - $now).TotalDays)
        friendlyName = $Cert.FriendlyName; hasPrivateKey = $Cert.HasPrivateKey
    }
}

function Find-Certificate($Thumbprint) {
    if (-not $Thumbprint) { return $null }
    $path = Join-Path -Path $store -ChildPath $Thumbprint
    if (Test-Path -LiteralPath $path) { return Get-Item -LiteralPath $path }
    return $null
}

function Test-Wanted($Cert) {
    $want = [string[]]@($Params.dnsNames | ForEach-Object { ([string]$_).ToLowerInvariant() })
    $have = [string[]]@(Get-DnsNames $Cert)
    [Array]::Sort($want)
    [Array]::Sort($have)
    $left = ($Cert.NotAfter.ToUniversalTime() - [DateTime]::UtcNow).TotalDays
    return ($Cert.Subject -eq $Params.subject) -and (($want -join ',') -eq ($have -join ',')) -and
        ((Get-TemplateName $Cert) -eq $Params.template) -and $Cert.HasPrivateKey -and
        ($left -gt [int]$Params.renewBeforeDays)
}

function Find-Match {
    $mine = $null
    foreach ($cert in @(Get-ChildItem -LiteralPath $store)) {
        if (Test-Wanted $cert) {
            if ($Params.friendlyName -and $cert.FriendlyName -eq $Params.friendlyName) { return $cert }
            if ($null -eq $mine) { $mine = $cert }
        }
    }
    return $mine
}

$cert = Find-Certificate $Params.thumbprint
$changed = $false
$warnings = @()
if ($Params.mode -eq 'set') {
    $ensure = 'present'
    if ($Params.ensure) { $ensure = $Params.ensure }
    if ($ensure -eq 'absent') {
        if ($null -ne $cert) {
            Remove-Item -LiteralPath (Join-Path -Path $store -ChildPath $cert.Thumbprint) -DeleteKey
            $cert = $null
            $changed = $true
        }
    } elseif ($null -eq $cert -or -not (Test-Wanted $cert)) {
        $found = Find-Match
        if ($null -ne $found -and $Params.friendlyName -and $found.FriendlyName -eq $Params.friendlyName) {
            $cert = $found   # ours, from a run that crashed before it was recorded
        } else {
            $names = @($Params.dnsNames | ForEach-Object { [string]$_ })
            $enrolled = Get-Certificate -Template $Params.template -SubjectName $Params.subject -DnsName $names `
                -CertStoreLocation $store
            if ([string]$enrolled.Status -ne 'Issued') {
                throw ('the CA did not issue the certificate (status {0}): a pending request needs a CA ' +
                    'officer; approve it or change the template') -f $enrolled.Status
            }
            $cert = Get-Item -LiteralPath (Join-Path -Path $store -ChildPath $enrolled.Certificate.Thumbprint)
            $changed = $true
        }
        if ($Params.friendlyName -and $cert.FriendlyName -ne $Params.friendlyName) {
            $cert.FriendlyName = $Params.friendlyName
        }
    }
}

$state = @{ exists = $false; match = '' }
if ($null -ne $cert) { $state = ConvertTo-Facts $cert; $state.match = '' }
if ($Params.mode -eq 'get') {
    $found = Find-Match
    if ($null -ne $found) { $state.match = $found.Thumbprint.ToUpperInvariant(); $state.matchFriendlyName = $found.FriendlyName }
}
return @{ changed = $changed; rebootRequired = $false; warnings = $warnings; state = $state }
