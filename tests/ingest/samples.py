"""Realistic records of each format, as the tools that produce them write them."""

from __future__ import annotations

import orjson

SYSLOG = [
    # rsyslog, RSYSLOG_SyslogProtocol23Format (RFC 5424) with structured data
    b"<165>1 2024-03-12T09:15:42.003+01:00 web01.corp.local nginx 2211 ACCESS "
    b'[origin ip="10.0.0.7" software="rsyslogd" swVersion="8.2302.0"]'
    b'[meta sequenceId="17" note="a \\"quoted\\" \\] bracket"] \xef\xbb\xbfGET /login 200',
    # RFC 5424, no structured data, no message
    b"<14>1 2024-03-12T08:15:42Z host1 app - - -",
    # rsyslog traditional forward format (RFC 3164, no year)
    b"<38>Mar 12 09:15:42 web01 sshd[4242]: Failed password for invalid user admin "
    b"from 203.0.113.9 port 50022 ssh2",
    # rsyslog RSYSLOG_ForwardFormat (RFC 3164 header, high-precision ISO timestamp)
    b"<86>2024-03-12T09:15:42.123456+01:00 web01 sudo: bob : TTY=pts/0 ; PWD=/home/bob ; "
    b"USER=root ; COMMAND=/bin/bash",
    # no hostname (local logger), single-digit day
    b"<13>Mar  2 07:01:02 cron[77]: (root) CMD (run-parts /etc/cron.hourly)",
    # Cisco ASA with year and a colon after the time, no hostname
    b"<166>Mar 12 2024 09:15:42: %ASA-6-302013: Built outbound TCP connection 1234 for "
    b"outside:198.51.100.7/443 (198.51.100.7/443) to inside:10.1.1.5/51234 (10.1.1.5/51234)",
    # plain log file line, no priority
    b"Mar 12 09:15:42 db01 kernel: [12345.678] Out of memory: Killed process 999 (java)",
]

CEF = [
    # Cisco ASA via a CEF connector behind a syslog header
    b"<134>Mar 12 09:15:42 asa-fw01 CEF:0|Cisco|ASA|9.16|106023|Deny tcp src "
    b'outside:203.0.113.9/51234 dst inside:10.1.1.10/445 by access-group "outside_in"|5|'
    b"rt=Mar 12 2024 09:15:42 UTC src=203.0.113.9 spt=51234 dst=10.1.1.10 dpt=445 proto=TCP "
    b"act=Deny deviceDirection=0 dvchost=asa-fw01 cs1Label=ACL cs1=outside_in",
    # header escapes, extension escapes, values with spaces, epoch-ms receipt time
    b"CEF:0|Security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 "
    b"act=blocked a \\= sign msg=line1\\nline2 c:\\\\temp rt=1710231342417 "
    b"request=https://example.com/a?b=c&d=e suser=bob",
    # trailing empty extension
    b"CEF:1|Fortinet|FortiGate|7.2|0000000013|traffic:forward close|3|",
]

LEEF = [
    # QRadar LEEF 1.0 (tab separated) behind a syslog header
    b"<13>Mar 12 09:15:42 10.0.0.9 LEEF:1.0|Microsoft|MSExchange|2016|15345|"
    b"src=10.50.1.1\tdst=2.10.20.20\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\t"
    b"usrName=joe.black\tdevTime=1710231342417",
    # LEEF 2.0 with a caret delimiter and a Java date format
    b"LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^cat=anomaly^"
    b"srcPort=81^dstPort=21^usrName=joe.black^devTime=Mar 12 2024 09:15:42^"
    b"devTimeFormat=MMM dd yyyy HH:mm:ss^url=https://x.test/?a=b",
    # LEEF 2.0, delimiter given as a hex code
    b"LEEF:2.0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|x09|src=10.0.0.1\tdst=8.8.8.8\t"
    b"proto=udp\tdstPort=53",
]

SURICATA = [
    orjson.dumps(
        {
            "timestamp": "2024-03-12T09:15:42.417264+0100",
            "flow_id": 1805461738637437,
            "in_iface": "eth0",
            "event_type": "alert",
            "src_ip": "10.0.0.23",
            "src_port": 49832,
            "dest_ip": "198.51.100.7",
            "dest_port": 80,
            "proto": "TCP",
            "alert": {
                "action": "allowed",
                "gid": 1,
                "signature_id": 2024897,
                "rev": 2,
                "signature": "ET USER_AGENTS Go HTTP Client User-Agent",
                "category": "Potentially Bad Traffic",
                "severity": 2,
            },
            "http": {"hostname": "evil.test", "url": "/payload.exe", "http_method": "GET"},
            "app_proto": "http",
            "host": "sensor-01",
        }
    ),
    orjson.dumps(
        {
            "timestamp": "2024-03-12T09:15:43.001000+0000",
            "flow_id": 99,
            "event_type": "dns",
            "src_ip": "10.0.0.23",
            "src_port": 53211,
            "dest_ip": "10.0.0.1",
            "dest_port": 53,
            "proto": "UDP",
            "dns": {"type": "query", "id": 4711, "rrname": "xn--80ak6aa92e.com", "rrtype": "A"},
        }
    ),
    orjson.dumps(
        {
            "timestamp": "2024-03-12T09:15:44.000000+0000",
            "flow_id": 100,
            "event_type": "dns",
            "src_ip": "10.0.0.1",
            "dest_ip": "10.0.0.23",
            "proto": "UDP",
            "dns": {
                "version": 3,
                "type": "response",
                "queries": [{"rrname": "update.example.org", "rrtype": "A"}],
                "answers": [
                    {"rrname": "update.example.org", "rrtype": "A", "rdata": "192.0.2.10"},
                    {"rrname": "update.example.org", "rrtype": "A", "rdata": "192.0.2.11"},
                ],
            },
        }
    ),
    orjson.dumps(
        {
            "timestamp": "2024-03-12T09:15:45.5+0000",
            "flow_id": 101,
            "event_type": "http",
            "src_ip": "10.0.0.23",
            "src_port": 49833,
            "dest_ip": "203.0.113.80",
            "dest_port": 80,
            "proto": "TCP",
            "http": {
                "hostname": "updates.example.net",
                "url": "/dl/tool.ps1?x=1",
                "http_user_agent": "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) "
                "WindowsPowerShell/5.1.17763.1",
                "http_method": "GET",
                "protocol": "HTTP/1.1",
                "status": 200,
                "length": 5120,
                "http_refer": "http://intranet/",
            },
        }
    ),
]

WAZUH_SYSMON = orjson.dumps(
    {
        "timestamp": "2024-03-12T09:15:42.417+0100",
        "rule": {
            "level": 12,
            "description": "Powershell process spawned with encoded command",
            "id": "92057",
            "mitre": {"id": ["T1059.001"], "tactic": ["Execution"]},
            "groups": ["windows", "sysmon", "sysmon_eid1_detections"],
        },
        "agent": {"id": "004", "name": "WIN-WS07", "ip": "10.0.2.15"},
        "manager": {"name": "wazuh-manager"},
        "id": "1710231342.1234567",
        "decoder": {"name": "windows_eventchannel"},
        "data": {
            "win": {
                "system": {
                    "providerName": "Microsoft-Windows-Sysmon",
                    "providerGuid": "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
                    "eventID": "1",
                    "version": "5",
                    "level": "4",
                    "task": "1",
                    "opcode": "0",
                    "keywords": "0x8000000000000000",
                    "systemTime": "2024-03-12T08:15:41.9543210Z",
                    "eventRecordID": "348211",
                    "processID": "3012",
                    "threadID": "4120",
                    "channel": "Microsoft-Windows-Sysmon/Operational",
                    "computer": "WIN-WS07.corp.local",
                    "severityValue": "INFORMATION",
                    "message": '"Process Create: RuleName: technique_id=T1059.001"',
                },
                "eventdata": {
                    "ruleName": "technique_id=T1059.001,technique_name=PowerShell",
                    "utcTime": "2024-03-12 08:15:41.953",
                    "processGuid": "{4d8a2c1f-1e2d-65f0-2a03-000000000a00}",
                    "processId": "6044",
                    "image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                    "originalFileName": "PowerShell.EXE",
                    "commandLine": "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0A",
                    "currentDirectory": "C:\\Users\\bob\\",
                    "user": "CORP\\bob",
                    "integrityLevel": "High",
                    "hashes": "SHA256=9F914D42706FE215501044ACD85A32D5"
                    "8AAEF1419D404FDDFA5D3B48F66CCD9F",
                    "parentProcessId": "4242",
                    "parentImage": "C:\\Windows\\System32\\cmd.exe",
                    "parentCommandLine": "cmd.exe /c start.bat",
                },
            }
        },
        "location": "EventChannel",
    }
)

WAZUH_SSHD = orjson.dumps(
    {
        "timestamp": "2024-03-12T09:15:42.000+0000",
        "rule": {"level": 5, "description": "sshd: authentication failed.", "id": "5716"},
        "agent": {"id": "002", "name": "web01", "ip": "10.0.0.5"},
        "manager": {"name": "wazuh-manager"},
        "full_log": "Mar 12 09:15:42 web01 sshd[4242]: Failed password for root from "
        "203.0.113.9 port 50022 ssh2",
        "predecoder": {"program_name": "sshd", "timestamp": "Mar 12 09:15:42", "hostname": "web01"},
        "decoder": {"parent": "sshd", "name": "sshd"},
        "data": {"srcip": "203.0.113.9", "srcport": "50022", "dstuser": "root"},
        "location": "/var/log/auth.log",
    }
)

WAZUH = [WAZUH_SYSMON, WAZUH_SSHD]

# The same Sysmon process creation as the `evtx` package renders it.
EVTX_SYSMON = orjson.dumps(
    {
        "Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {
                    "#attributes": {
                        "Name": "Microsoft-Windows-Sysmon",
                        "Guid": "5770385F-C22A-43E0-BF4C-06F5698FFBD9",
                    }
                },
                "EventID": 1,
                "Version": 5,
                "Level": 4,
                "Task": 1,
                "Opcode": 0,
                "Keywords": "0x8000000000000000",
                "TimeCreated": {"#attributes": {"SystemTime": "2024-03-12T08:15:41.954321Z"}},
                "EventRecordID": 348211,
                "Correlation": None,
                "Execution": {"#attributes": {"ProcessID": 3012, "ThreadID": 4120}},
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Computer": "WIN-WS07.corp.local",
                "Security": {"#attributes": {"UserID": "S-1-5-18"}},
            },
            "EventData": {
                "RuleName": "technique_id=T1059.001,technique_name=PowerShell",
                "UtcTime": "2024-03-12 08:15:41.953",
                "ProcessId": 6044,
                "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "OriginalFileName": "PowerShell.EXE",
                "CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0A",
                "User": "CORP\\bob",
                "ParentImage": "C:\\Windows\\System32\\cmd.exe",
                "ParentCommandLine": "cmd.exe /c start.bat",
            },
        }
    }
)

EVTX_UNNAMED = orjson.dumps(
    {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "PowerShell"}},
                "EventID": {"#attributes": {"Qualifiers": 0}, "#text": 400},
                "TimeCreated": {"#attributes": {"SystemTime": "2019-04-27T15:57:25.868863Z"}},
                "EventRecordID": 6575,
                "Channel": "Windows PowerShell",
                "Computer": "IEWIN7",
            },
            "EventData": {"Data": ["Available", "None", "HostApplication=powershell -ep bypass"]},
        }
    }
)

EVTX = [EVTX_SYSMON, EVTX_UNNAMED]

JSON = [
    # AWS CloudTrail (nested → dotted names Sigma's aws rules use)
    orjson.dumps(
        {
            "eventVersion": "1.08",
            "userIdentity": {"type": "IAMUser", "userName": "alice", "arn": "arn:aws:iam::1:u"},
            "eventTime": "2024-03-12T08:15:41Z",
            "eventSource": "iam.amazonaws.com",
            "eventName": "CreateAccessKey",
            "requestParameters": {"userName": "bob"},
            "resources": [{"type": "AWS::IAM::User", "ARN": "arn:1"}, {"type": "x", "ARN": "a2"}],
            "tags": ["a", "b"],
        }
    ),
    # a flat application log with an epoch timestamp
    b'{"ts": 1710231342.5, "host": "app01", "level": "warn", "msg": "slow query"}',
]

ALL = {
    "syslog": SYSLOG,
    "cef": CEF,
    "leef": LEEF,
    "suricata": SURICATA,
    "wazuh": WAZUH,
    "evtx": EVTX,
    "json": JSON,
}
