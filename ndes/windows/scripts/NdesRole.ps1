# NdesRole: the NDES role service configured once with Install-AdcsNetworkDeviceEnrollmentService (service
# account, CA, RA name and details, signing/encryption CSPs and key lengths). These settings only take effect
# at install ("changing the RA cert configs after installing the NDES server is not a supported scenario"):
# set mode installs when NDES is not configured; when it is configured differently it refuses unless
# allowReinstall (then it uninstalls and installs again). Get reports the live configuration and the RA
# certificates (EnrollmentAgentOffline, CEPEncryption: two years, then NDES stops). ensure absent uninstalls
# NDES and deletes its RA certificates (with their keys) from LocalMachine\My.
# Params: mode get|set, ensure present|absent, serviceAccount (DOMAIN\name), serviceAccountPassword, caConfig,
#   raName, raEmail, raCompany, raDepartment, raCity, raState, raCountry, signingProvider, signingKeyLength,
#   encryptionProvider, encryptionKeyLength, allowReinstall.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ownerKey = 'HKLM:\SOFTWARE\Pulumi\NDES\Owners'
function Get-OwnerMark($Mark) {
    if (Test-Path -LiteralPath $ownerKey) {
        $p = Get-ItemProperty -LiteralPath $ownerKey
        if ($p.PSObject.Properties[$Mark]) { return [string]$p.PSObject.Properties[$Mark].Value }
    }
    return ''
}
function Set-OwnerMark($Mark, $Owner) {
    if (-not $Owner) { return }
    if (-not (Test-Path -LiteralPath $ownerKey)) { $null = New-Item -Path $ownerKey -Force }
    Set-ItemProperty -LiteralPath $ownerKey -Name $Mark -Value ([string]$Owner)
}
function Clear-OwnerMark($Mark) {
    if ((Get-OwnerMark $Mark) -ne '') { Remove-ItemProperty -LiteralPath $ownerKey -Name $Mark }
}
$ownerValue = ''
if ($Params.PSObject.Properties['owner'] -and $Params.owner) { $ownerValue = [string]$Params.owner }
$mark = 'NdesRole'

$mscepKey = 'HKLM:\SOFTWARE\Microsoft\Cryptography\MSCEP'
if (Get-Module -ListAvailable -Name 'WebAdministration') { Import-Module -Name 'WebAdministration' }
$raTemplates = @('EnrollmentAgentOffline', 'CEPEncryption')

function Get-TemplateName($Cert) {
    foreach ($ext in $Cert.Extensions) {
        if ($ext.Oid.Value -eq '1.3.6.1.4.1.311.20.2') { return $ext.Format($false).Trim() }
    }
    return ''
}

function Get-Rdn($Cert, $Name) {
    foreach ($line in ($Cert.SubjectName.Format($true) -split "`r?`n")) {
        $eq = $line.IndexOf('=')
        if ($eq -gt 0 -and $line.Substring(0, $eq).Trim() -eq $Name) { return $line.Substring($eq + 1).Trim() }
    }
    return $null
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
    $installed = Test-Path -LiteralPath $mscepKey
    $account = ''
    if ($installed -and (Test-Path -LiteralPath 'IIS:\AppPools\SCEP')) {
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
    $now = [DateTime]::UtcNow
    foreach ($cert in @(Get-ChildItem -LiteralPath 'Cert:\LocalMachine\My')) {
        $template = Get-TemplateName $cert
        if ($raTemplates -notcontains $template) { continue }
        $ra += @{
            template = $template; thumbprint = $cert.Thumbprint.ToUpperInvariant(); subject = $cert.Subject
            notBefore = $cert.NotBefore.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
            notAfter = $cert.NotAfter.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
            daysLeft = [int][Math]::Floor(($cert.NotAfter.ToUniversalTime() - $now).TotalDays)
            keyLength = $cert.PublicKey.Key.KeySize; provider = (Get-KeyProvider $cert)
            raName = (Get-Rdn $cert 'CN'); raEmail = (Get-Rdn $cert 'E'); raCompany = (Get-Rdn $cert 'O')
            raDepartment = (Get-Rdn $cert 'OU'); raCity = (Get-Rdn $cert 'L'); raState = (Get-Rdn $cert 'S')
            raCountry = (Get-Rdn $cert 'C')
        }
    }
    return @{ installed = $installed; serviceAccount = $account; caConfig = $caConfig; raCertificates = $ra }
}

$state = Get-NdesState
$changed = $false
$warnings = @()
if ($Params.mode -eq 'set') {
    $ensure = 'present'
    if ($Params.ensure) { $ensure = $Params.ensure }
    if ($ensure -eq 'absent') {
        if ($state.installed) {
            $null = Uninstall-AdcsNetworkDeviceEnrollmentService -Force
            $changed = $true
        }
        # the RA certificates the install enrolled are useless without NDES (and a reinstall enrolls new ones)
        foreach ($ra in @($state.raCertificates)) {
            $path = Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $ra.thumbprint
            if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -DeleteKey; $changed = $true }
        }
        Clear-OwnerMark $mark
    } else {
        if ($state.installed -and $state.serviceAccount -and $state.serviceAccount -ne $Params.serviceAccount) {
            if (-not $Params.allowReinstall) {
                throw ('NDES is installed with the service account {0}, the configuration asks for {1}: changing ' +
                    'the RA cert configs after installing the NDES server is not a supported scenario; the resource ' +
                    'replaces NDES (uninstall, install) instead') -f $state.serviceAccount, $Params.serviceAccount
            }
            $null = Uninstall-AdcsNetworkDeviceEnrollmentService -Force
            $state.installed = $false
        }
        if (-not $state.installed) {
            $feature = Get-WindowsFeature -Name 'ADCS-Device-Enrollment'
            if (-not $feature.Installed) {
                throw 'the ADCS-Device-Enrollment feature is not installed: install it first (WindowsFeatures)'
            }
            $secure = ConvertTo-SecureString -String $Params.serviceAccountPassword -AsPlainText -Force
            # Unset RA details travel as $null: the cmdlet leaves them out of the RA subject (as the wizard does).
            $ra = @{}
            foreach ($field in @('raEmail', 'raCompany', 'raDepartment', 'raCity', 'raState', 'raCountry')) {
                $ra[$field] = $null
                $value = $Params.PSObject.Properties[$field]
                if ($null -ne $value -and $value.Value) { $ra[$field] = [string]$value.Value }
            }
            # The install enrolls the RA certificates from the CA and publishes in AD as the installing user: over
            # an NTLM logon this host has no credentials for that second hop, so an install credential (a Domain
            # Admins member, ndes:ndesRole.installCredential) goes to the cmdlet's -Credential when given.
            $installCred = $null
            $given = $Params.PSObject.Properties['installCredential']
            if ($null -ne $given -and $null -ne $given.Value) {
                $installSecure = ConvertTo-SecureString -String $given.Value.password -AsPlainText -Force
                $installCred = New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList @(
                    [string]$given.Value.username, $installSecure)
            }
            if ($null -ne $installCred) {
                $result = Install-AdcsNetworkDeviceEnrollmentService -ServiceAccountName $Params.serviceAccount `
                    -ServiceAccountPassword $secure -CAConfig $Params.caConfig -RAName $Params.raName `
                    -RAEmail $ra.raEmail -RACompany $ra.raCompany -RADepartment $ra.raDepartment -RACity $ra.raCity `
                    -RAState $ra.raState -RACountry $ra.raCountry `
                    -SigningProviderName $Params.signingProvider -SigningKeyLength ([int]$Params.signingKeyLength) `
                    -EncryptionProviderName $Params.encryptionProvider `
                    -EncryptionKeyLength ([int]$Params.encryptionKeyLength) -Credential $installCred -Force
            } else {
                $result = Install-AdcsNetworkDeviceEnrollmentService -ServiceAccountName $Params.serviceAccount `
                    -ServiceAccountPassword $secure -CAConfig $Params.caConfig -RAName $Params.raName `
                    -RAEmail $ra.raEmail -RACompany $ra.raCompany -RADepartment $ra.raDepartment -RACity $ra.raCity `
                    -RAState $ra.raState -RACountry $ra.raCountry `
                    -SigningProviderName $Params.signingProvider -SigningKeyLength ([int]$Params.signingKeyLength) `
                    -EncryptionProviderName $Params.encryptionProvider `
                    -EncryptionKeyLength ([int]$Params.encryptionKeyLength) -Force
            }
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
return @{ changed = $changed; rebootRequired = $false; warnings = $warnings; state = $state }
