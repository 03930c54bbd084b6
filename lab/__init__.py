"""The offline lab: PKI, Samba AD DC launcher, simulators. No Pulumi here."""
