param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# MachineCertificate: facts of certificates in LocalMachine\My (their DER, Windows' subject and issuer) and three
# primitive actions Python decided on. Contract: ndes/windows/contracts/machine_certificate.py. Python reads the
# template, names and dates from the DER (ndes/windows/certificates.py); nothing here interprets a certificate.

$store = 'Cert:\LocalMachine\My'

function ConvertTo-Facts($Cert) {
    return @{
        thumbprint = $Cert.Thumbprint.ToUpperInvariant(); derBase64 = [Convert]::ToBase64String($Cert.RawData)
        subject = $Cert.Subject; issuer = $Cert.Issuer; friendlyName = $Cert.FriendlyName
        hasPrivateKey = $Cert.HasPrivateKey
    }
}

function Find-Certificate([string] $Thumbprint) {
    if (-not $Thumbprint) { return $null }
    $path = Join-Path -Path $store -ChildPath $Thumbprint
    if (Test-Path -LiteralPath $path) { return Get-Item -LiteralPath $path }
    return $null
}

$cert = Find-Certificate $Params.thumbprint
$changed = $false
if ($Params.mode -eq 'set') {
    switch ($Params.action) {
        'remove' {
            if ($null -ne $cert) {
                Remove-Item -LiteralPath (Join-Path -Path $store -ChildPath $cert.Thumbprint) -DeleteKey
                $cert = $null
                $changed = $true
            }
        }
        'mark' {
            if ($null -eq $cert) { throw ('certificate {0} is not in LocalMachine\My' -f $Params.thumbprint) }
            if ($cert.FriendlyName -ne $Params.friendlyName) {
                $cert.FriendlyName = [string] $Params.friendlyName
                $changed = $true
            }
        }
        'enroll' {
            $names = [string[]] @($Params.dnsNames | ForEach-Object { [string] $_ })
            $enrolled = Get-Certificate -Template ([string] $Params.template) -SubjectName ([string] $Params.subject) `
                -DnsName $names -CertStoreLocation $store
            if ([string] $enrolled.Status -ne 'Issued') {
                throw ('the CA did not issue the certificate (status {0}): a pending request needs a CA ' +
                    'officer; approve it or change the template') -f $enrolled.Status
            }
            $cert = Get-Item -LiteralPath (Join-Path -Path $store -ChildPath $enrolled.Certificate.Thumbprint)
            if ($Params.friendlyName) { $cert.FriendlyName = [string] $Params.friendlyName }
            $changed = $true
        }
        default { throw ('unknown action ''{0}'' (enroll, mark, remove)' -f $Params.action) }
    }
}

$state = @{ certificate = $null; store = @() }
if ($null -ne $cert) { $state.certificate = ConvertTo-Facts $cert }
if ($Params.listStore) { $state.store = @(Get-ChildItem -LiteralPath $store | ForEach-Object { ConvertTo-Facts $_ }) }
return @{ changed = $changed; rebootRequired = $false; warnings = @(); state = $state }
