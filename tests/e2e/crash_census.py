"""A census of every object type the lab chain owns, read straight from the servers (lab side: the real Samba
over LDAP, the WinRM simulator's host state, the Graph simulator's tenant), never through the product's clients.

`census()` returns {category: {key: count}}: a key names one object (or one value, one ACE, one mark) in words a
reader recognises; the count is how many the servers hold. After a deployment every count is one; after a
destroy no category holds anything of ours (`owned` lists what a destroy must leave empty).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import ldap3

from lab import samba_dc, topology
from lab.samba_layout import CONFIG_DN, DOMAIN_DN, ENROLLMENT_SERVICE_DN, PKS_DN
from lab.winrm_sim import ca as sim_ca
from lab.winrm_sim import certstore

from .lab_chain import graph_state, simulator_contents
from .lab_stack import lab_stack_config

GRAPH_MARK = "[managed by Pulumi: "
OWNERS_KEY = "hklm:\\software\\pulumi\\ndes\\owners"
HTTP_PARAMS = "hklm:\\system\\currentcontrolset\\services\\http\\parameters"
MSCEP_KEY = "hklm:\\software\\microsoft\\cryptography\\mscep"
OUR_FEATURES = ("ADCS-Device-Enrollment", "Web-Server", "Web-Filtering")
CATEGORIES = ("accounts", "spns", "templates", "oidObjects", "templateAces", "caTemplateList", "caAces",
              "localGroupMembers", "hostFeatures", "registryValues", "iisSettings", "certificates", "bindings",
              "appProxyApps", "servicePrincipals", "profiles", "assignments", "ownerMarks")
OWNED_AFTER_DESTROY = tuple(c for c in CATEGORIES if c != "hostFeatures")
"""Windows keeps a role's dependencies after Uninstall-WindowsFeature (test_chain_e2e: LAB_HOSTS); the features
this stack installed are compared with the host before the deployment instead."""


def _config() -> dict[str, Any]:
    return lab_stack_config()["config"]


def _ldap_search(conn: ldap3.Connection, base: str, flt: str, attrs: list[str]) -> list[dict[str, Any]]:
    out = []
    for e in conn.extend.standard.paged_search(base, flt, ldap3.SUBTREE, attributes=attrs, paged_size=500,
                                               generator=True):
        if e.get("type") == "searchResEntry":
            out.append({"dn": e["dn"], **{k: v for k, v in e["raw_attributes"].items()}})
    return out


def _s(v: Any) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else str(v)


def _vals(entry: dict[str, Any], attr: str) -> list[Any]:
    for k, v in entry.items():
        if k.lower() == attr.lower():
            return list(v) if isinstance(v, list) else [v]
    return []


def directory_census() -> dict[str, Counter]:
    cfg = _config()
    svc = cfg["ndes:serviceAccount"]["name"]
    tpl_names = [t["name"] for v in cfg["ndes:templates"].values() for t in (v if isinstance(v, list) else [v])]
    ndes_hosts = [h["fqdn"].lower() for h in cfg["ndes:ndesHosts"]]
    out: dict[str, Counter] = {c: Counter() for c in ("accounts", "spns", "templates", "oidObjects", "templateAces",
                                                       "caTemplateList", "ownerMarks")}
    conn = samba_dc.connect()
    try:
        sids: dict[str, str] = {}
        users = _ldap_search(conn, DOMAIN_DN, f"(&(objectClass=user)(sAMAccountName={svc}))",
                             ["sAMAccountName", "objectSid"])
        for u in users:
            out["accounts"][f"user {svc} ({u['dn'].split(',', 1)[1]})"] += 1
            sids[sim_ca.sid_from_bytes(bytes(_vals(u, "objectSid")[0]))[0]] = svc
        for host in ndes_hosts:  # the NDES computer (Read + Enroll on the SSL template)
            for c in _ldap_search(conn, DOMAIN_DN, f"(&(objectClass=computer)(dNSHostName={host}))", ["objectSid"]):
                sids[sim_ca.sid_from_bytes(bytes(_vals(c, "objectSid")[0]))[0]] = host.split(".")[0] + "$"
            for short in (host.split(".")[0], host):
                for e in _ldap_search(conn, DOMAIN_DN, f"(servicePrincipalName=http/{short})", ["sAMAccountName"]):
                    out["spns"][f"http/{short} on {_s(_vals(e, 'sAMAccountName')[0])}"] += 1
        for e in _ldap_search(conn, DOMAIN_DN, "(adminDescription=*)", ["adminDescription"]) + \
                _ldap_search(conn, CONFIG_DN, "(adminDescription=*)", ["adminDescription"]):
            mark = _s(_vals(e, "adminDescription")[0])
            if "/" in mark:
                out["ownerMarks"][f"AD {mark.split('#', 1)[0]} on {e['dn'].split(',', 1)[0]}"] += 1
        templates = _ldap_search(conn, f"CN=Certificate Templates,{PKS_DN}", "(objectClass=pKICertificateTemplate)",
                                 ["cn", "nTSecurityDescriptor", "msPKI-Cert-Template-OID"])
        ours = [t for t in templates if _s(_vals(t, "cn")[0]) in tpl_names]
        oids = {}
        for t in ours:
            name = _s(_vals(t, "cn")[0])
            out["templates"][f"template {name}"] += 1
            oid = _vals(t, "msPKI-Cert-Template-OID")
            if oid:
                oids[_s(oid[0])] = name
            sd = _vals(t, "nTSecurityDescriptor")
            for ace in sim_ca.parse_dacl(bytes(sd[0])) if sd else []:
                if ace.sid in sids:
                    kind = {0: "allow", 1: "deny", 5: "allow-object", 6: "deny-object"}.get(ace.type, str(ace.type))
                    out["templateAces"][f"{name}: {kind} {sids[ace.sid]} mask {ace.mask:#x} {ace.object_type or ''}"
                                        .rstrip()] += 1
        for o in _ldap_search(conn, f"CN=OID,{PKS_DN}", "(objectClass=msPKI-Enterprise-Oid)",
                              ["msPKI-Cert-Template-OID", "displayName"]):
            value = _vals(o, "msPKI-Cert-Template-OID")
            name = _s(_vals(o, "displayName")[0]) if _vals(o, "displayName") else ""
            if (value and _s(value[0]) in oids) or name in tpl_names:
                out["oidObjects"][f"OID object of {oids.get(_s(value[0]) if value else '', name)}"] += 1
        for e in _ldap_search(conn, ENROLLMENT_SERVICE_DN, "(objectClass=pKIEnrollmentService)",
                              ["certificateTemplates"]):
            for v in _vals(e, "certificateTemplates"):
                if _s(v) in tpl_names:
                    out["caTemplateList"][f"{_s(v)} issued"] += 1
    finally:
        conn.unbind()
    out["_sids"] = Counter(sids)  # for the CA ACEs below (not a category)
    return out


def host_census(sids: dict[str, str]) -> dict[str, Counter]:
    cfg = _config()
    svc = cfg["ndes:serviceAccount"]["name"]
    names = [h["fqdn"].lower() for h in cfg["ndes:ndesHosts"]] + [cfg["ndes:ca"]["host"].lower()]
    hosts = simulator_contents(tuple(names))["hosts"]
    out: dict[str, Counter] = {c: Counter() for c in ("caAces", "localGroupMembers", "hostFeatures",
                                                       "registryValues", "iisSettings", "certificates", "bindings",
                                                       "ownerMarks")}
    for name, st in hosts.items():
        short = name.split(".")[0]
        for ace in ((st.get("certsvc") or {}).get("security") or []):
            if ace.get("sid") in sids:
                out["caAces"][f"{short}: {ace['type']} {sids[ace['sid']]} mask {ace.get('mask')}"] += 1
        for group in (st.get("localGroups") or {}).values():
            for m in group.get("members", []):
                if str(m.get("name", "")).lower().endswith("\\" + svc.lower()):
                    out["localGroupMembers"][f"{short}: {group['name']} has {m['name']}"] += 1
        if st.get("role") == "ndes":
            for f in (st.get("features") or {}).get("installed", []):
                if f in OUR_FEATURES:
                    out["hostFeatures"][f"{short}: {f}"] += 1
        reg = st.get("registry") or {}
        for key, wanted in ((HTTP_PARAMS, ("maxfieldlength", "maxrequestbytes")),
                            (MSCEP_KEY, ("signaturetemplate", "encryptiontemplate", "generalpurposetemplate"))):
            for v in wanted:
                if v in (reg.get(key) or {}).get("values", {}):
                    out["registryValues"][f"{short}: {key.rsplit(chr(92), 1)[-1]}\\{v}"] += 1
        for v in (reg.get(OWNERS_KEY) or {}).get("values", {}).values():
            out["ownerMarks"][f"{short} {v['name']} -> {str(v.get('value')).split('#', 1)[0]}"] += 1
        iis = st.get("iis") or {}
        for site, s in (iis.get("sites") or {}).items():
            limits = s.get("requestLimits") or {}
            for k in ("maxUrl", "maxQueryString"):
                if limits.get(k) == 65534:
                    out["iisSettings"][f"{short}: {site} {k}"] += 1
            for b in s.get("bindings") or []:
                if str(b.get("protocol", "")).lower() == "https":
                    info = b.get("bindingInformation") or f"*:{b.get('port')}:{b.get('hostHeader', '')}"
                    out["bindings"][f"{short}: {site} https {info}"] += 1
        for store, certs in (st.get("certStores") or {}).items():
            if store.lower() != "localmachine\\my" or st.get("role") != "ndes":
                continue
            for entry in certs.values():
                t = certstore.template_of(entry)
                label = "v2 template" if t.startswith("1.3.6.1.4.1.311.21.8.") else (t or "no template")
                out["certificates"][f"{short}: {label} {certstore.load(entry).subject.rfc4514_string()}"] += 1
    return out


def _graph_mark(text: Any) -> str:
    head, sep, tail = str(text or "").rpartition(GRAPH_MARK)
    return tail.rstrip("]").split("#", 1)[0] if sep else ""


def graph_census() -> dict[str, Counter]:
    g = graph_state()
    out: dict[str, Counter] = {c: Counter() for c in ("appProxyApps", "servicePrincipals", "profiles", "assignments",
                                                       "ownerMarks")}
    ours_apps = {}
    for a in (g.get("applications") or {}).values():
        text = f"{a.get('displayName', '')} {a.get('notes') or ''} {a.get('description') or ''}"
        if GRAPH_MARK in text or str(a.get("displayName", "")).startswith("NDES"):
            ours_apps[a.get("appId")] = a.get("displayName")
            out["appProxyApps"][f"application {a.get('displayName')}"] += 1
            mark = _graph_mark(a.get("notes"))
            if mark:
                out["ownerMarks"][f"Graph {mark} on application"] += 1
    for sp in (g.get("servicePrincipals") or {}).values():
        if sp.get("appId") in ours_apps:
            out["servicePrincipals"][f"service principal {sp.get('displayName')}"] += 1
    profiles = g.get("deviceConfigurations") or {}
    for pid, p in profiles.items():
        label = f"{p.get('displayName')} ({str(p.get('@odata.type', '')).rsplit('.', 1)[-1]})"
        out["profiles"][label] += 1
        mark = _graph_mark(p.get("description"))
        if mark:
            out["ownerMarks"][f"Graph {mark} on profile"] += 1
        for group in (g.get("assignments") or {}).get(pid, []):  # the simulator keeps group targets as ids
            out["assignments"][f"{label} -> group {group}"] += 1
        for t in (g.get("assignmentTargets") or {}).get(pid, []):  # and other targets (filtered, exclusions) whole
            out["assignments"][f"{label} -> {t.get('@odata.type')} {t.get('groupId', '')}".rstrip()] += 1
    return out


def census() -> dict[str, Counter]:
    d = directory_census()
    sids = dict(d.pop("_sids"))
    h = host_census(sids)
    g = graph_census()
    out: dict[str, Counter] = {c: Counter() for c in CATEGORIES}
    for part in (d, h, g):
        for cat, counts in part.items():
            out[cat].update(counts)
    return out


def duplicates(c: dict[str, Counter]) -> dict[str, dict[str, int]]:
    return {cat: {k: n for k, n in counts.items() if n != 1} for cat, counts in c.items()
            if any(n != 1 for n in counts.values())}


def differences(before: dict[str, Counter], after: dict[str, Counter]) -> dict[str, dict[str, str]]:
    """Per category, what `after` holds that `before` did not (extra) and the reverse (missing)."""
    out = {}
    for cat in CATEGORIES:
        b, a = before.get(cat, Counter()), after.get(cat, Counter())
        diff = {k: f"{b.get(k, 0)} -> {a.get(k, 0)}" for k in set(a) | set(b) if a.get(k, 0) != b.get(k, 0)}
        if diff:
            out[cat] = diff
    return out


__all__ = ["CATEGORIES", "OWNED_AFTER_DESTROY", "census", "differences", "duplicates", "topology"]
