# IntuneConnector: the Certificate Connector for Microsoft Intune on the NDES host: installed (Uninstall key
# DisplayName), its services running, registered with Intune, and its certificate's expiry (an expired
# connector certificate shows as IIS 403.17). Registration needs an interactive Entra sign-in in the
# connector UI, so it is detected and reported, never faked: "registered" = the connector holds its
# certificate from the Intune connector CA in LocalMachine\My (issuer "Microsoft Intune ImportPFX Connector CA")
# and names it in HKLM:\SOFTWARE\Microsoft\MicrosoftIntune\PFXCertificateConnector EncryptionCertThumbprint.
# Params: mode get|set, ensure present|absent, installerPath (optional: silent install / uninstall),
#   requireRegistered (set fails while not registered).
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# Owner marks come from the prelude. Which services are meant to run is decided in Python
# (ndes/windows/contracts/intune_connector.py): this script reports each service's status and start type and,
# in set mode, starts the stopped services whose start type is Automatic (the features selected in the
# connector's configuration); a service that will not start is a warning, never a failed deploy.

$ownerValue = [string] (Get-Param $Params 'owner' '')
$mark = 'IntuneConnector'

$displayName = 'Certificate Connector for Microsoft Intune'
$serviceNames = @('PFXCertificateConnectorSvc', 'PkiCreateConnectorSvc', 'PfxCreateLegacyConnectorSvc',
    'PkiRevokeConnectorSvc', 'PKIConnectorSvc')
$connectorKey = 'HKLM:\SOFTWARE\Microsoft\MicrosoftIntune\PFXCertificateConnector'
$ui = '%ProgramFiles%\Microsoft Intune\PFXCertificateConnector\ConnectorUI\PFXCertificateConnectorUI.exe'

function Get-Installed {
    foreach ($root in @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall',
            'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall')) {
        if (-not (Test-Path -LiteralPath $root)) { continue }
        foreach ($item in @(Get-ChildItem -LiteralPath $root)) {
            $p = Get-ItemProperty -LiteralPath $item.PSPath
            if ($p.PSObject.Properties['DisplayName'] -and $p.DisplayName -eq $displayName) {
                $version = ''
                if ($p.PSObject.Properties['DisplayVersion']) { $version = [string]$p.DisplayVersion }
                return @{ installed = $true; version = $version }
            }
        }
    }
    return @{ installed = $false; version = '' }
}

function Get-ConnectorState {
    $inst = Get-Installed
    $services = @{}
    $startTypes = @{}
    foreach ($name in $serviceNames) {
        $svc = Get-Service -Name $name -ErrorAction SilentlyContinue
        if ($null -ne $svc) { $services[$name] = [string]$svc.Status; $startTypes[$name] = [string]$svc.StartType }
    }
    $thumb = ''
    if (Test-Path -LiteralPath $connectorKey) {
        $p = Get-ItemProperty -LiteralPath $connectorKey
        if ($p.PSObject.Properties['EncryptionCertThumbprint']) { $thumb = ([string]$p.EncryptionCertThumbprint).ToUpperInvariant() }
    }
    $cert = $null
    if ($thumb -and (Test-Path -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $thumb))) {
        $cert = Get-Item -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $thumb)
    }
    $registered = $inst.installed -and $null -ne $cert -and $cert.Issuer -like '*Microsoft Intune*'
    $notAfter = ''
    $daysLeft = $null
    if ($null -ne $cert) {
        $notAfter = $cert.NotAfter.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
        $daysLeft = [int][Math]::Floor(($cert.NotAfter.ToUniversalTime() - [DateTime]::UtcNow).TotalDays)
    }
    return @{
        installed = $inst.installed; version = $inst.version; services = $services; startTypes = $startTypes
        registered = [bool]$registered; certificateThumbprint = $thumb; certificateNotAfter = $notAfter
        certificateDaysLeft = $daysLeft
    }
}

$state = Get-ConnectorState
$changed = $false
$warnings = @()
if ($Params.mode -eq 'set') {
    $ensure = 'present'
    if ($Params.ensure) { $ensure = $Params.ensure }
    $installer = ''
    if ($Params.PSObject.Properties['installerPath'] -and $Params.installerPath) { $installer = [string]$Params.installerPath }
    if ($ensure -eq 'absent') {
        if ($state.installed -and $installer) {
            $p = Start-Process -FilePath $installer -ArgumentList @('/uninstall', '/quiet') -Wait -PassThru
            # 3010 ERROR_SUCCESS_REBOOT_REQUIRED, 1641 ERROR_SUCCESS_REBOOT_INITIATED: done, a restart follows
            if (@(0, 3010, 1641) -notcontains $p.ExitCode) {
                throw ('the connector uninstaller {0} exited with {1}' -f $installer, $p.ExitCode)
            }
            $changed = $true
        } elseif ($state.installed) {
            $warnings += 'the connector stays installed: no installerPath to uninstall it with'
        }
        Clear-OwnerMark $mark
    } else {
        $requireRegistered = $Params.PSObject.Properties['requireRegistered'] -and $Params.requireRegistered
        $missing = ('the Intune Certificate Connector is not installed: install it (download it from the Intune ' +
            'admin center, Tenant administration > Connectors and tokens) or set ndes:connector.installerPath ' +
            'to the installer on this host for a silent install')
        if (-not $state.installed -and -not $installer) {
            if ($requireRegistered) { throw $missing }
            $warnings += $missing
        } elseif (-not $state.installed) {
            if (-not (Test-Path -LiteralPath $installer)) { throw ('the connector installer {0} does not exist on this host' -f $installer) }
            $p = Start-Process -FilePath $installer -ArgumentList @('/install', '/quiet') -Wait -PassThru
            if (@(0, 3010, 1641) -notcontains $p.ExitCode) {
                throw ('the connector installer {0} exited with {1}' -f $installer, $p.ExitCode)
            }
            $changed = $true
            $state = Get-ConnectorState
        }
        if ($state.installed) { Set-OwnerMark $mark $ownerValue }
        foreach ($name in @($state.services.Keys)) {
            if ($state.services[$name] -ne 'Running' -and $state.startTypes[$name] -eq 'Automatic') {
                try {
                    Start-Service -Name $name
                    $changed = $true
                } catch {
                    $warnings += ('the connector service {0} did not start: {1}' -f $name, $_.Exception.Message)
                }
            }
        }
        $state = Get-ConnectorState
        if (-not $state.installed) {
            # reported above
        } elseif (-not $state.registered) {
            $msg = ('the Intune Certificate Connector is installed but not registered with Intune: registration needs ' +
                'an interactive sign-in; on this host run {0} and sign in as a Global or Intune Administrator ' +
                '(with an Intune license), then run pulumi up again') -f $ui
            if ($requireRegistered) { throw $msg }
            $warnings += $msg
        } elseif ($null -ne $state.certificateDaysLeft -and $state.certificateDaysLeft -lt 0) {
            $msg = 'the connector certificate expired on {0}: devices get IIS 403.17; renew it in the connector UI' -f $state.certificateNotAfter
            if ($requireRegistered) { throw $msg }
            $warnings += $msg
        }
    }
}
$state = Get-ConnectorState
$state.owner = Get-OwnerMark $mark
New-Result -State $state -Changed $changed -Warnings $warnings
