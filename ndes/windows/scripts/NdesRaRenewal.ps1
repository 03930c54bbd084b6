# NdesRaRenewal: renew NDES's RA certificates (EnrollmentAgentOffline, CEPEncryption) without reinstalling NDES.
# get reads raw facts: the host's clock, every certificate carrying a v1 template name (DER + its key's CSP), the
# SCEP app pool's state, and what NDES serves to GetCACert now. set performs one primitive action Python chose:
# enroll (new keys and requests with the given subject, CSP, key length and key spec, submitted to the CA in the
# administrator-for-machine context), restart (the SCEP app pool: NDES loads its RA certificates when it starts),
# remove (the old RA certificates, once NDES serves the new ones).
# Contract (params, state): ndes/windows/contracts/ndes_ra_renewal.py.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$store = 'Cert:\LocalMachine\My'
# SignedCms lives in System.Security.dll, which Windows PowerShell 5.1 does not always load (dataplat/dbatools#6278);
# loaded by its strong name (Add-Type is refused in these scripts).
$null = [System.Reflection.Assembly]::Load('System.Security, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a')
# .NET Framework's default protocols on Server 2012 R2/2016 are SSL3 and TLS 1.0 unless SchUseStrongCrypto is set
# (ServicePointManager.SecurityProtocol); add TLS 1.2 for this process.
[System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol -bor [System.Net.SecurityProtocolType]::Tls12
if (Get-Module -ListAvailable -Name 'WebAdministration') { Import-Module -Name 'WebAdministration' }

function Get-KeyProvider($Cert) {
    try {
        if ($Cert.HasPrivateKey -and $null -ne $Cert.PrivateKey) { return $Cert.PrivateKey.CspKeyContainerInfo.ProviderName }
    } catch {
        return ''
    }
    return ''
}

function Get-RaFacts {
    $out = @()
    foreach ($cert in @(Get-ChildItem -LiteralPath $store)) {
        $v1 = $false
        foreach ($ext in $cert.Extensions) { if ($ext.Oid.Value -eq '1.3.6.1.4.1.311.20.2') { $v1 = $true } }
        if (-not $v1) { continue }
        $out += @{
            thumbprint = $cert.Thumbprint.ToUpperInvariant(); derBase64 = [Convert]::ToBase64String($cert.RawData)
            subject = $cert.Subject; issuer = $cert.Issuer; friendlyName = $cert.FriendlyName
            hasPrivateKey = $cert.HasPrivateKey; provider = (Get-KeyProvider $cert)
        }
    }
    return $out
}

function Get-Served([string] $HostFqdn) {
    # What NDES answers to GetCACert now (the RA certificates it loaded at its pool's start, and the CA's).
    $url = 'https://' + $HostFqdn + '/certsrv/mscep/mscep.dll/pkiclient.exe?operation=GetCACert&message=ca'
    try {
        $client = New-Object -TypeName System.Net.WebClient
        $bytes = $client.DownloadData($url)
        $cms = New-Object -TypeName System.Security.Cryptography.Pkcs.SignedCms
        $cms.Decode($bytes)
        $certs = @($cms.Certificates | ForEach-Object { [Convert]::ToBase64String($_.RawData) })
        return @{ served = $certs; error = '' }
    } catch {
        return @{ served = @(); error = $_.Exception.Message }
    }
}

function Submit-Request([string] $Config, [string] $Csr, [string] $Template) {
    # ICertRequest::Submit (CR_IN_BASE64 | CR_IN_PKCS10), then the issued certificate (CR_OUT_BASE64).
    $request = New-Object -ComObject 'CertificateAuthority.Request'
    $disposition = $request.Submit(0x101, $Csr, ('CertificateTemplate:' + $Template), $Config)
    if ($disposition -ne 3) {
        throw ('the CA did not issue the {0} certificate (disposition {1}: {2})' -f $Template, $disposition,
            $request.GetDispositionMessage())
    }
    return $request.GetCertificate(1)
}

function New-RaCertificate($Request, [string] $Config, $Credential) {
    $key = New-Object -ComObject 'X509Enrollment.CX509PrivateKey'
    $key.ProviderName = [string] $Request.provider
    $key.Length = [int] $Request.keyLength
    $key.KeySpec = [int] $Request.keySpec
    $key.MachineContext = $true
    $key.ExportPolicy = 0
    $key.Create()
    $pkcs10 = New-Object -ComObject 'X509Enrollment.CX509CertificateRequestPkcs10'
    # ContextAdministratorForceMachine (3): an administrator requests for the computer (the RA keys are the
    # machine's; the user templates are enrolled with the administrator's rights), as NDES setup does.
    $pkcs10.InitializeFromPrivateKey(3, $key, [string] $Request.template)
    $subject = New-Object -ComObject 'X509Enrollment.CX500DistinguishedName'
    $subject.Decode([string] $Request.subjectDerBase64, 1)
    $pkcs10.Subject = $subject
    $enrollment = New-Object -ComObject 'X509Enrollment.CX509Enrollment'
    $enrollment.InitializeFromRequest($pkcs10)
    $csr = $enrollment.CreateRequest(1)
    $template = [string] $Request.template
    if ($null -ne $Credential) {
        # Submitted on the CA host itself, with the install credential: this host's network logon holds no
        # credentials for the CA (the double hop), an explicit credential to a new host does.
        $caHost = $Config.Split('\')[0]
        $issued = Invoke-Command -ComputerName $caHost -Credential $Credential -ArgumentList @($Config, $csr, $template) `
            -ScriptBlock {
                param($Config, $Csr, $Template)
                $request = New-Object -ComObject 'CertificateAuthority.Request'
                $disposition = $request.Submit(0x101, $Csr, ('CertificateTemplate:' + $Template), $Config)
                if ($disposition -ne 3) {
                    throw ('the CA did not issue the {0} certificate (disposition {1}: {2})' -f $Template,
                        $disposition, $request.GetDispositionMessage())
                }
                return $request.GetCertificate(1)
            }
    } else {
        $issued = Submit-Request $Config $csr $template
    }
    $enrollment.InstallResponse(0, [string] $issued, 1, '')
    $raw = [Convert]::FromBase64String(([string] $issued -replace '-----[A-Z ]+-----', ''))
    $installed = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Certificate2 -ArgumentList @(, $raw)
    $thumbprint = $installed.Thumbprint.ToUpperInvariant()
    if ($Params.keyReader) { Grant-KeyRead $thumbprint ([string] $Params.keyReader) }
    return $thumbprint
}

function Grant-KeyRead([string] $Thumbprint, [string] $Account) {
    # The SCEP app pool runs as the service account and must read the RA keys (a CryptoAPI machine key is a file
    # under MachineKeys named by its unique container name).
    $cert = Get-Item -LiteralPath (Join-Path -Path $store -ChildPath $Thumbprint)
    $name = $cert.PrivateKey.CspKeyContainerInfo.UniqueKeyContainerName
    $file = Join-Path -Path $env:ProgramData -ChildPath ('Microsoft\Crypto\RSA\MachineKeys\' + $name)
    $acl = Get-Acl -LiteralPath $file
    $rule = New-Object -TypeName System.Security.AccessControl.FileSystemAccessRule -ArgumentList @($Account, 'Read', 'Allow')
    $acl.AddAccessRule($rule)
    Set-Acl -LiteralPath $file -AclObject $acl
}

$changed = $false
$enrolled = @()
if ($Params.mode -eq 'set') {
    switch ([string] $Params.action) {
        'enroll' {
            $credential = $null
            $given = Get-Param $Params 'installCredential' $null
            if ($null -ne $given) {
                $secure = New-Object -TypeName System.Security.SecureString
                foreach ($char in ([string] $given.password).ToCharArray()) { $secure.AppendChar($char) }
                $secure.MakeReadOnly()
                $credential = New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList @(
                    [string] $given.username, $secure)
            }
            foreach ($request in @($Params.requests)) {
                $enrolled += New-RaCertificate $request ([string] $Params.caConfig) $credential
                $changed = $true
            }
        }
        'restart' {
            Restart-WebAppPool -Name 'SCEP'
            $changed = $true
        }
        'remove' {
            foreach ($thumbprint in @($Params.removeThumbprints)) {
                $path = Join-Path -Path $store -ChildPath ([string] $thumbprint)
                if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -DeleteKey; $changed = $true }
            }
        }
        default { throw ('unknown action ''{0}'' (enroll, restart, remove)' -f $Params.action) }
    }
}

$pool = @{ exists = (Test-Path -LiteralPath 'IIS:\AppPools\SCEP'); state = '' }
if ($pool.exists) { $pool.state = [string] (Get-WebAppPoolState -Name 'SCEP').Value }
$served = Get-Served ([string] $Params.hostFqdn)
$state = @{
    now = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ'); raCertificates = @(Get-RaFacts); appPool = $pool
    served = @($served.served); servedError = [string] $served.error; enrolled = @($enrolled)
}
New-Result -State $state -Changed $changed
