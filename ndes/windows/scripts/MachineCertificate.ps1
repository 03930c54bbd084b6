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
            # CertEnroll, as Get-Certificate does inside, because Get-Certificate takes no key length: a request
            # from the template for the computer (ContextMachine, 2), the key's length (IX509PrivateKey.Length, set
            # before the key is created at Encode; 0 keeps the template's), the subject and the DNS names
            # (XCN_CERT_ALT_NAME_DNS_NAME, 3), enrolled with the CA the template's enrollment policy names.
            $request = New-Object -ComObject 'X509Enrollment.CX509CertificateRequestPkcs10'
            $request.InitializeFromTemplateName(2, [string] $Params.template)
            if ([int] $Params.keyLength -gt 0) { $request.PrivateKey.Length = [int] $Params.keyLength }
            $subject = New-Object -ComObject 'X509Enrollment.CX500DistinguishedName'
            $subject.Encode([string] $Params.subject, 0)
            $request.Subject = $subject
            $alternatives = New-Object -ComObject 'X509Enrollment.CAlternativeNames'
            foreach ($name in @($Params.dnsNames)) {
                $alternative = New-Object -ComObject 'X509Enrollment.CAlternativeName'
                $alternative.InitializeFromString(3, [string] $name)
                $alternatives.Add($alternative)
            }
            $extension = New-Object -ComObject 'X509Enrollment.CX509ExtensionAlternativeNames'
            $extension.InitializeEncode($alternatives)
            $request.X509Extensions.Add($extension)
            $enrollment = New-Object -ComObject 'X509Enrollment.CX509Enrollment'
            $enrollment.InitializeFromRequest($request)
            if ($Params.friendlyName) { $enrollment.CertificateFriendlyName = [string] $Params.friendlyName }
            $enrollment.Enroll()
            if ([int] $enrollment.Status.Status -ne 1) {
                # EnrollmentEnrollStatus: 1 Enrolled, 2 Pended (a CA officer must approve), else an error
                throw ('the CA did not issue the certificate (status {0}: {1}): a pending request needs a CA ' +
                    'officer; approve it or change the template') -f $enrollment.Status.Status,
                    $enrollment.Status.ErrorText
            }
            $raw = [Convert]::FromBase64String([string] $enrollment.Certificate(1))
            $issued = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Certificate2 `
                -ArgumentList @(, $raw)
            $cert = Get-Item -LiteralPath (Join-Path -Path $store -ChildPath $issued.Thumbprint)
            $changed = $true
        }
        default { throw ('unknown action ''{0}'' (enroll, mark, remove)' -f $Params.action) }
    }
}

$state = @{ certificate = $null; store = @() }
if ($null -ne $cert) { $state.certificate = ConvertTo-Facts $cert }
if ($Params.listStore) { $state.store = @(Get-ChildItem -LiteralPath $store | ForEach-Object { ConvertTo-Facts $_ }) }
return @{ changed = $changed; rebootRequired = $false; warnings = @(); state = $state }
