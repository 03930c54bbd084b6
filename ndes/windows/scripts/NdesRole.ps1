# NdesRole: the NDES role service configured once with Install-AdcsNetworkDeviceEnrollmentService (service
# account, CA, RA name and details, signing/encryption CSPs and key lengths). These settings only take effect
# at install ("changing the RA cert configs after installing the NDES server is not a supported scenario"):
# set mode installs when NDES is not configured; when it is configured differently it refuses unless
# allowReinstall (then it uninstalls and installs again). Get reports the live configuration and the RA
# certificates (EnrollmentAgentOffline, CEPEncryption: two years, then NDES stops). ensure absent uninstalls
# NDES and deletes its RA certificates (with their keys) from LocalMachine\My.
# Contract (params, state): ndes/windows/contracts/ndes_role.py. The RA certificates are returned as facts (DER,
# subject, CSP) for Python to read; owner marks come from the prelude.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ownerValue = [string] $Params.owner
$mark = 'NdesRole'

$mscepKey = 'HKLM:\SOFTWARE\Microsoft\Cryptography\MSCEP'
if (Get-Module -ListAvailable -Name 'WebAdministration') { Import-Module -Name 'WebAdministration' }

function Test-V1Template($Cert) {
    # carries szOID_ENROLL_CERTTYPE_EXTENSION (a v1 template's name): the RA certificates are among these
    foreach ($ext in $Cert.Extensions) { if ($ext.Oid.Value -eq '1.3.6.1.4.1.311.20.2') { return $true } }
    return $false
}

function Get-KeyProvider($Cert) {
    try {
        if ($Cert.HasPrivateKey -and $null -ne $Cert.PrivateKey) { return $Cert.PrivateKey.CspKeyContainerInfo.ProviderName }
    } catch {
        return ''
    }
    return ''
}

function Get-NdesState {
    # raw facts; whether NDES is configured (all of them) or half-finished is decided in Python
    $installed = Test-Path -LiteralPath $mscepKey
    $pool = Test-Path -LiteralPath 'IIS:\AppPools\SCEP'
    $app = Test-Path -LiteralPath 'IIS:\Sites\Default Web Site\CertSrv\mscep'
    $account = ''
    if ($pool) {
        $account = (Get-ItemProperty -LiteralPath 'IIS:\AppPools\SCEP' -Name 'processModel').userName
    }
    # Where NDES records its CA is UNCONFIRMED (MSCEP\CAInfo, value Configuration, is read when present);
    # without it the provider keeps the configured caConfig (a CA change is then seen through the RA issuer).
    $caConfig = $null
    $caInfo = Join-Path -Path $mscepKey -ChildPath 'CAInfo'
    if ($installed -and (Test-Path -LiteralPath $caInfo)) {
        $prop = Get-ItemProperty -LiteralPath $caInfo
        if ($prop.PSObject.Properties['Configuration']) { $caConfig = $prop.Configuration }
    }
    $ra = @()
    foreach ($cert in @(Get-ChildItem -LiteralPath 'Cert:\LocalMachine\My')) {
        if (-not (Test-V1Template $cert)) { continue }
        $ra += @{
            thumbprint = $cert.Thumbprint.ToUpperInvariant(); derBase64 = [Convert]::ToBase64String($cert.RawData)
            subject = $cert.Subject; issuer = $cert.Issuer; friendlyName = $cert.FriendlyName
            hasPrivateKey = $cert.HasPrivateKey; provider = (Get-KeyProvider $cert)
        }
    }
    return @{ mscepKey = $installed; appPool = $pool; application = $app; serviceAccount = $account
        caConfig = $caConfig; raCertificates = $ra }
}

$state = Get-NdesState
$changed = $false
$warnings = @()
if ($Params.mode -eq 'set') {
    if ($Params.ensure -eq 'absent') {
        if ($state.mscepKey -or $state.appPool -or $state.application) {
            $null = Uninstall-AdcsNetworkDeviceEnrollmentService -Force
            $changed = $true
        }
        # the RA certificates the install enrolled are useless without NDES (and a reinstall enrolls new ones):
        # Python names them (removeThumbprints), as it read them from the DER
        foreach ($thumbprint in @($Params.removeThumbprints)) {
            $path = Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath ([string] $thumbprint)
            if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -DeleteKey; $changed = $true }
        }
        Clear-OwnerMark $mark
    } else {
        $other = $state.appPool -and $state.serviceAccount -and $state.serviceAccount -ne $Params.serviceAccount
        if ($other -and -not $Params.repair -and -not $Params.allowReinstall) {
            throw ('NDES is installed with the service account {0}, the configuration asks for {1}: changing ' +
                'the RA cert configs after installing the NDES server is not a supported scenario; the resource ' +
                'replaces NDES (uninstall, install) instead') -f $state.serviceAccount, $Params.serviceAccount
        }
        if ($Params.repair -or $other) {
            try {
                $null = Uninstall-AdcsNetworkDeviceEnrollmentService -Force
            } catch {
                $warnings += ('uninstalling the half-finished NDES configuration reported: {0}' -f $_.Exception.Message)
            }
            $changed = $true
        }
        if ($Params.install -or $Params.repair -or $other) {
            $feature = Get-WindowsFeature -Name 'ADCS-Device-Enrollment'
            if (-not $feature.Installed) {
                throw 'the ADCS-Device-Enrollment feature is not installed: install it first (WindowsFeatures)'
            }
            # Built with .NET calls, not ConvertTo-SecureString -String: module logging (event 4103) records cmdlet
            # parameter bindings, and the password would be one of them.
            $secure = New-Object -TypeName System.Security.SecureString
            foreach ($char in ([string]$Params.serviceAccountPassword).ToCharArray()) { $secure.AppendChar($char) }
            $secure.MakeReadOnly()
            # Only the parameters that are set are bound (splatted): an RA detail left out of the configuration is
            # left out of the call, as the wizard leaves it out of the RA subject (whether a bound $null equals an
            # omitted parameter is not documented).
            $install = @{ ServiceAccountName = [string]$Params.serviceAccount; ServiceAccountPassword = $secure
                CAConfig = [string]$Params.caConfig; RAName = [string]$Params.raName
                SigningProviderName = [string]$Params.signingProvider; SigningKeyLength = [int]$Params.signingKeyLength
                EncryptionProviderName = [string]$Params.encryptionProvider
                EncryptionKeyLength = [int]$Params.encryptionKeyLength; Force = $true }
            if ($Params.raEmail) { $install['RAEmail'] = [string]$Params.raEmail }
            if ($Params.raCompany) { $install['RACompany'] = [string]$Params.raCompany }
            if ($Params.raDepartment) { $install['RADepartment'] = [string]$Params.raDepartment }
            if ($Params.raCity) { $install['RACity'] = [string]$Params.raCity }
            if ($Params.raState) { $install['RAState'] = [string]$Params.raState }
            if ($Params.raCountry) { $install['RACountry'] = [string]$Params.raCountry }
            # The install enrolls the RA certificates from the CA and publishes in AD as the installing user: over
            # an NTLM logon this host has no credentials for that second hop, so an install credential (a Domain
            # Admins member, ndes:ndesRole.installCredential) goes to the cmdlet's -Credential when given.
            $given = $Params.PSObject.Properties['installCredential']
            if ($null -ne $given -and $null -ne $given.Value) {
                $installSecure = ConvertTo-SecureString -String $given.Value.password -AsPlainText -Force
                $install['Credential'] = New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList @(
                    [string]$given.Value.username, $installSecure)
            }
            $result = Install-AdcsNetworkDeviceEnrollmentService @install
            if ($null -ne $result -and $result.PSObject.Properties['ErrorId'] -and $result.ErrorId -ne 0) {
                throw ('Install-AdcsNetworkDeviceEnrollmentService failed: {0}' -f $result.ErrorString)
            }
            $changed = $true
        }
        Set-OwnerMark $mark $ownerValue
    }
    $state = Get-NdesState
}
$state.owner = Get-OwnerMark $mark
New-Result -State $state -Changed $changed -Warnings $warnings
