# HostClock: the host's clock (UTC), for renewal decisions counted by the host's time.
# Contract (params, state): ndes/windows/contracts/host_clock.py.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

New-Result -State @{ now = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ') }
