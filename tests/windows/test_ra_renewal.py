"""RaCertificateRenewal against the simulator: with the lab clock moved to 30 days before the RA certificates
expire, the preview says a renewal is due, `up` requests both anew (same subject, CSP, key length), restarts the
SCEP pool, checks NDES serves them, deletes the old ones, and NDES is not reinstalled; a second run changes
nothing. Refusals: an NTLM logon without the install credential (the double hop); a run cut short converges."""
from __future__ import annotations

import pytest
from cryptography import x509

from lab.winrm_sim import certstore
from ndes.providers.ndes_role import NdesRoleProvider
from ndes.providers.ra_renewal import RaCertificateRenewalProvider
from ndes.windows.ra_view import decode_thumbprint, requests_for, view_of
from ndes.windows import ScriptFailed
from ndes.windows.contracts import call
from ndes.windows.contracts import ndes_ra_renewal as C

from .conftest import NDES1
from .part2_lab import endpoint_props, ndes_role_props, prepare_ndes_host, put_certificate, service_account
from .provider_helpers import three_pass

pytestmark = pytest.mark.slow
ROLE = NdesRoleProvider()
P = RaCertificateRenewalProvider()
RA = ("EnrollmentAgentOffline", "CEPEncryption")


def ra_entries(sim) -> dict[str, dict]:
    my = sim.read_state(NDES1)["certStores"]["LocalMachine\\My"]
    return {tp: e for tp, e in my.items() if certstore.template_of(e) in RA}


def install(sim, dc, account, password) -> dict:
    prepare_ndes_host(sim, NDES1, account)
    tp = put_certificate(sim, NDES1, "ndes1.lab.contoso.test", ["ndes1.lab.contoso.test"])
    with sim.edit_state(NDES1) as st:  # the https binding the SSL steps leave (GetCACert is asked over it)
        site = st["iis"]["sites"]["Default Web Site"]
        site["bindings"].append({"protocol": "https", "bindingInformation": "*:443:", "certificateHash": tp})
    role = ROLE.check({}, {"endpoint": endpoint_props(sim, NDES1), "owner": "tests/ra/ndes-role",
                           "configKey": "ndes:ndesRole", **ndes_role_props(dc, account, password)}).inputs
    ROLE.create(role)
    props = ndes_role_props(dc, account, password)
    res = P.check({}, {"endpoint": endpoint_props(sim, NDES1), "owner": "tests/ra/renewal",
                       "configKey": "ndes:ndesRole.raRenewBeforeDays", "caConfig": props["caConfig"],
                       "serviceAccount": account,
                       "installCredential": props["installCredential"], "renewBeforeDays": 60})
    assert not res.failures, res.failures
    return res.inputs


def test_renewal_30_days_before_expiry(sim, samba_dc, capfd):
    with service_account(samba_dc) as (account, password, _sid):
        inp = install(sim, samba_dc, account, password)
        created = three_pass(P, inp, sim, NDES1)
        before = ra_entries(sim)
        assert created.outs["raDaysLeft"] >= 728 and len(before) == 2
        assert not P.diff(created.id, created.outs, inp).changes  # two years left: nothing to do
        pool = sim.read_state(NDES1)["iis"]["appPools"]["SCEP"]
        starts, identity = pool["starts"], pool["userName"]

        sim.set_clock(699.9)  # the hosts and the CA: 30 days (and a little) before the RA certificates expire
        capfd.readouterr()
        d = P.diff(created.id, created.outs, inp)
        words = capfd.readouterr().err
        assert d.changes and not d.replaces
        assert "30 days left" in words and "requests new EnrollmentAgentOffline and CEPEncryption" in words, words
        assert "NDES is not reinstalled" in words

        up = P.update(created.id, created.outs, inp)
        after = ra_entries(sim)
        assert not set(after) & set(before), "the old RA certificates are deleted once NDES serves the new ones"
        assert up.outs["raDaysLeft"] >= 728  # by the host's clock
        old = {certstore.template_of(e): x509.load_pem_x509_certificate(e["pem"].encode()) for e in before.values()}
        for e in after.values():
            new = x509.load_pem_x509_certificate(e["pem"].encode())
            was = old[certstore.template_of(e)]
            assert new.subject == was.subject  # same subject (the RA details)
            assert new.public_key().key_size == was.public_key().key_size  # same key length
            assert e["provider"] == "Microsoft Strong Cryptographic Provider"  # same CSP
            assert e["keyReaders"] == [account]  # the SCEP pool's identity may read the new key
            assert new.public_key().public_numbers() != was.public_key().public_numbers()  # a new key
        pool = sim.read_state(NDES1)["iis"]["appPools"]["SCEP"]
        assert pool["starts"] == starts + 1 and pool["userName"] == identity  # restarted, not reinstalled
        served = call(_host(inp), C.SCRIPT,
                      C.NdesRaRenewalParams(mode="get", host_fqdn=NDES1), C.NdesRaRenewalState).state
        assert {decode_thumbprint(s) for s in served.served} >= set(after)  # NDES serves the new ones
        assert ROLE.get(f"{NDES1}/NDES", ROLE.parse(ROLE.check({}, {
            "endpoint": endpoint_props(sim, NDES1), **ndes_role_props(samba_dc, account, password)}).inputs)) \
            is not None  # NDES still configured

        capfd.readouterr()
        assert not P.diff(created.id, up.outs, inp).changes  # the second run: nothing to do
        again = P.update(created.id, up.outs, inp)
        assert set(ra_entries(sim)) == set(after)
        assert [c["thumbprint"] for c in again.outs["raCertificates"]] == [c["thumbprint"] for c in
                                                                            up.outs["raCertificates"]]


def _host(inp):
    from ndes.providers._windows import host_of
    return host_of(P.parse(inp))


def test_a_renewal_cut_short_converges(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        inp = install(sim, samba_dc, account, password)
        created = P.create(inp)
        before = set(ra_entries(sim))
        sim.set_clock(700)
        # the new certificates were enrolled, then the run stopped: NDES still serves the old ones
        st = call(_host(inp), C.SCRIPT, C.NdesRaRenewalParams(mode="get", host_fqdn=NDES1), C.NdesRaRenewalState)
        P._run(P.parse(inp), action="enroll", requests=requests_for(view_of(st.state)),
               install_credential=C.InstallCredentialParams(**inp["installCredential"]))
        assert len(ra_entries(sim)) == 4
        d = P.diff(created.id, created.outs, inp)
        assert d.changes  # old ones remain: the next up finishes the job
        P.update(created.id, created.outs, inp)
        left = set(ra_entries(sim))
        assert len(left) == 2 and not left & before


def test_ntlm_without_the_install_credential_is_refused(sim, samba_dc):
    with service_account(samba_dc) as (account, password, _sid):
        inp = install(sim, samba_dc, account, password)
        inp = {**inp, "installCredential": None}
        created = P.create(inp)
        sim.set_clock(700)
        with pytest.raises(ScriptFailed) as exc:
            P.update(created.id, created.outs, inp)
        assert "second hop" in exc.value.message
        assert len(ra_entries(sim)) == 2  # nothing changed on the host
