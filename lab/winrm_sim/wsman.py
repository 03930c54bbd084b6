"""WS-Management SOAP: parse the requests pywinrm sends, build answers shaped like Windows' (the pairs in
pywinrm's own winrm/tests/conftest.py), and SOAP faults like the ones Windows returns (HTTP 500)."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
ACTIONS = {
    TRANSFER + "Create": "Create", TRANSFER + "Delete": "Delete",
    SHELL + "Command": "Command", SHELL + "Send": "Send", SHELL + "Receive": "Receive", SHELL + "Signal": "Signal",
}
DONE = SHELL + "CommandState/Done"
RUNNING = SHELL + "CommandState/Running"
_ENV_OPEN = ('<s:Envelope xml:lang="en-US" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
             'xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" '
             'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" '
             'xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
             'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
             'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer">')


class Fault(Exception):
    """A WS-Management fault: answered as HTTP 500 with a SOAP Fault body."""

    def __init__(self, code: str, subcode: str, wsman_code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.subcode, self.wsman_code, self.message = code, subcode, wsman_code, message


def bad_request(message: str) -> Fault:
    return Fault("s:Sender", "w:SchemaValidationError", 2150858817, message)


def shell_not_found(shell_id: str) -> Fault:
    return Fault("s:Sender", "w:InvalidSelectors", 2150858843,
                 f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was "
                 "not found on the server. Possible causes are: the specified ShellId is incorrect or the shell "
                 "no longer exists on the server. Provide the correct ShellId or create a new shell and retry "
                 "the operation. ")


def too_many_shells(limit: int) -> Fault:
    return Fault("s:Receiver", "w:QuotaLimit", 2150859174,
                 f"The WS-Management service cannot process the request. This user is allowed a maximum number "
                 f"of {limit} concurrent shells, which has been exceeded. Close existing shells or raise the "
                 "quota for this user. ")


def unknown_action(action: str) -> Fault:
    return Fault("s:Sender", "a:ActionNotSupported", 2150858754,
                 f"The WS-Management service cannot process the request because the action {action!s} is not "
                 "supported. ")


@dataclass
class Request:
    action: str
    """Create | Delete | Command | Send | Receive | Signal"""
    message_id: str
    shell_id: str | None
    options: dict[str, str] = field(default_factory=dict)
    body: ET.Element | None = None

    def find(self, path: str) -> ET.Element | None:
        return None if self.body is None else self.body.find(path, NS)


def parse(data: bytes) -> Request:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise bad_request(f"The WS-Management service cannot process the request because the XML is invalid: "
                          f"{exc}. ") from None
    if root.tag != f"{{{NS['s']}}}Envelope":
        raise bad_request("The WS-Management service cannot process the request: not a SOAP 1.2 envelope. ")
    header = root.find("s:Header", NS)
    if header is None:
        raise bad_request("The WS-Management service cannot process the request: the SOAP header is missing. ")
    action_uri = (header.findtext("a:Action", "", NS) or "").strip()
    resource = (header.findtext("w:ResourceURI", "", NS) or "").strip()
    message_id = (header.findtext("a:MessageID", "", NS) or "").strip()
    if action_uri not in ACTIONS:
        raise unknown_action(action_uri)
    if resource != SHELL_URI:
        raise Fault("s:Sender", "w:DestinationUnreachable", 2150858770,
                    f"The WS-Management service cannot process the request because the resource URI {resource} "
                    "is not supported here. ")
    if not message_id:
        raise bad_request("The WS-Management service cannot process the request: a:MessageID is missing. ")
    shell_id = None
    for sel in header.findall("w:SelectorSet/w:Selector", NS):
        if sel.get("Name") == "ShellId":
            shell_id = (sel.text or "").strip()
    options = {o.get("Name", ""): (o.text or "") for o in header.findall("w:OptionSet/w:Option", NS)}
    return Request(ACTIONS[action_uri], message_id, shell_id, options, root.find("s:Body", NS))


def _envelope(action: str, relates_to: str, body: str) -> bytes:
    return ('<?xml version="1.0" ?>\n' + _ENV_OPEN +
            f"<s:Header><a:Action>{escape(action)}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
            "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
            f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header>" + body + "</s:Envelope>").encode()


def create_response(req: Request, shell_id: str, address: str) -> bytes:
    return _envelope(TRANSFER + "CreateResponse", req.message_id,
                     f"<s:Body><x:ResourceCreated><a:Address>{escape(address)}</a:Address><a:ReferenceParameters>"
                     f"<w:ResourceURI>{SHELL_URI}</w:ResourceURI><w:SelectorSet>"
                     f'<w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
                     "</a:ReferenceParameters></x:ResourceCreated></s:Body>")


def delete_response(req: Request) -> bytes:
    return _envelope(TRANSFER + "DeleteResponse", req.message_id, "<s:Body/>")


def command_response(req: Request, command_id: str) -> bytes:
    return _envelope(SHELL + "CommandResponse", req.message_id,
                     f"<s:Body><rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId>"
                     "</rsp:CommandResponse></s:Body>")


def send_response(req: Request) -> bytes:
    return _envelope(SHELL + "SendResponse", req.message_id, "<s:Body><rsp:SendResponse/></s:Body>")


def signal_response(req: Request) -> bytes:
    return _envelope(SHELL + "SignalResponse", req.message_id, "<s:Body><rsp:SignalResponse/></s:Body>")


def receive_response(req: Request, command_id: str, stdout_b64: str, stderr_b64: str,
                     exit_code: int | None) -> bytes:
    cid = quoteattr(command_id)
    streams = ""
    if stdout_b64:
        streams += f'<rsp:Stream Name="stdout" CommandId={cid}>{stdout_b64}</rsp:Stream>'
    if stderr_b64:
        streams += f'<rsp:Stream Name="stderr" CommandId={cid}>{stderr_b64}</rsp:Stream>'
    if exit_code is None:
        state = f'<rsp:CommandState CommandId={cid} State="{RUNNING}"/>'
    else:
        streams += (f'<rsp:Stream Name="stdout" CommandId={cid} End="true"/>'
                    f'<rsp:Stream Name="stderr" CommandId={cid} End="true"/>')
        state = (f'<rsp:CommandState CommandId={cid} State="{DONE}"><rsp:ExitCode>{exit_code}</rsp:ExitCode>'
                 "</rsp:CommandState>")
    return _envelope(SHELL + "ReceiveResponse", req.message_id,
                     f"<s:Body><rsp:ReceiveResponse>{streams}{state}</rsp:ReceiveResponse></s:Body>")


def fault_response(fault: Fault, relates_to: str, machine: str) -> bytes:
    return ('<?xml version="1.0" ?>\n'
            '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
            'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">'
            "<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>"
            f"<a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
            "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
            f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header>"
            f"<s:Body><s:Fault><s:Code><s:Value>{fault.code}</s:Value><s:Subcode><s:Value>{fault.subcode}"
            f'</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{escape(fault.message)}</s:Text>'
            '</s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
            f'Code="{fault.wsman_code}" Machine={quoteattr(machine)}><f:Message>{escape(fault.message)}'
            "</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>").encode()
