"""The ndes plane components as a Pulumi component provider (Pulumi's Python component provider support,
pulumi.provider.experimental): other Pulumi languages consume them with `pulumi package add <repo>/provider`.
See docs/library.md for what works and what the dynamic resources inside still need."""
from pulumi.provider.experimental import component_provider_host

from ndes.components.library import AppProxy, CaHost, DirectoryPlane, IntuneProfiles, NdesHost

if __name__ == "__main__":
    component_provider_host([IntuneProfiles, DirectoryPlane, CaHost, NdesHost, AppProxy], name="ndes",
                            version="0.2.0")
