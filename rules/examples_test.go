package rules

// example is a policy and the problems Parse must report, one string per
// line of the joined error; nil for a valid policy. The schema test checks
// that the JSON Schema agrees on each (schemaSkip: a check the schema
// cannot express).
type example struct {
	name       string
	give       string
	wantErrs   []string
	schemaSkip bool
}

const header = "apiVersion: vigil.dev/v1\nkind: Policy\n"

var examples = []example{
	{
		name: "minimal",
		give: header,
	},
	{
		name: "docker default with rules",
		give: header + `seccomp:
  profile: docker-default
  rules:
    - names: [ptrace]
      action: kill
    - names: [mkdir, mkdirat]
      action: errno
      errno: EACCES
    - names: [personality]
      action: allow
      args:
        - {index: 0, op: eq, value: 0xffffffff}
        - {index: 0, op: masked-eq, value: 0xff, valueTwo: 8}
`,
	},
	{
		name: "rules alone on a default",
		give: header + "seccomp:\n  defaultAction: allow\n  rules:\n    - {names: [ptrace], action: kill-thread}\n",
	},
	{
		name: "privileges",
		give: header + "user: \"1000:1000\"\ngroups: [1000, 4294967294]\ncapabilities: [NET_BIND_SERVICE, CAP_CHECKPOINT_RESTORE]\n",
	},
	{
		name:     "unknown action",
		give:     header + "seccomp:\n  profile: docker-default\n  rules:\n    - names: [ptrace]\n      action: deny\n",
		wantErrs: []string{`policy.yaml:7:15: unknown action "deny": want allow, errno, kill, kill-thread or log`},
	},
	{
		name: "rule names",
		give: header + "seccomp:\n  profile: docker-default\n  rules:\n    - {name: deny-ptrace, names: [ptrace], action: kill}\n    - {name: ok.mkdir_1:x, names: [mkdir], action: allow}\n",
	},
	{
		name: "bad rule names",
		give: header + "seccomp:\n  profile: docker-default\n  rules:\n    - {name: deny ptrace, names: [ptrace], action: kill}\n    - {name: same, names: [mkdir], action: allow}\n    - {name: same, names: [rmdir], action: allow}\n    - {name: \"\", names: [rmdir], action: allow}\n",
		wantErrs: []string{
			`policy.yaml:6:14: invalid rule name "deny ptrace": want 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
			`policy.yaml:8:14: rule name "same" is used twice: events could not tell the rules apart`,
			`policy.yaml:9:14: invalid rule name "": want 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
		},
	},
	{
		name: "files",
		give: header + "files:\n  trees: [/usr, /app, /etc]\n  protect: enforce\n  paths: [/usr, /app]\n  sensitive: [/etc/shadow, /root/.ssh]\n",
	},
	{
		name: "bad files",
		give: header + "files:\n  protect: lock\n  paths: [usr, /app/, /]\n",
		wantErrs: []string{
			`policy.yaml:4:12: unknown protect "lock": want detect or enforce`,
			`policy.yaml:5:11: path "usr": want an absolute, clean path other than /`,
			`policy.yaml:5:16: path "/app/": want an absolute, clean path other than /`,
			`policy.yaml:5:23: path "/": want an absolute, clean path other than /`,
		},
	},
	{
		name:     "enforce without paths",
		give:     header + "files:\n  protect: enforce\n",
		wantErrs: []string{`policy.yaml:4:3: protect: enforce needs paths: the trees to make read-only for the app`},
	},
	{
		name: "exec",
		give: header + `exec:
  drift: deny
  default: allow
  deny:
    - name: no-curl
      path: ["/usr/bin/curl", "/tmp/**"]
      program: ["nc", "ncat"]
      args: ["-e*"]
      parent: ["nginx", "/usr/sbin/*"]
      uid: ["0", "1-999", 1000]
  allow:
    - program: ["sh"]
      parent: ["/app/entrypoint.sh"]
`,
	},
	{
		name: "bad exec values",
		give: header + `exec:
  drift: block
  default: kill
  deny:
    - {}
    - {path: [], program: [sh]}
    - {name: "bad name", path: [usr/bin/curl], program: [/bin/sh]}
  allow:
    - {uid: ["-1", "5-2", "4294967295", "0-4294967294", x]}
`,
		wantErrs: []string{
			`policy.yaml:4:10: unknown drift "block": want off, alert or deny`,
			`policy.yaml:5:12: unknown default "kill": want allow, alert or deny`,
			`policy.yaml:7:7: a rule without a condition: want path, program, args, parent or uid`,
			`policy.yaml:8:14: empty path: want at least one item, or no path key`,
			`policy.yaml:9:14: invalid rule name "bad name": want 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
			`policy.yaml:9:33: path "usr/bin/curl": want an absolute path glob, or one that starts with **`,
			`policy.yaml:9:58: program "/bin/sh": want a name without /, matched against base names (path matches paths)`,
			`policy.yaml:11:14: invalid uid "-1": want a number or a first-last range (first <= last), below 4294967295`,
			`policy.yaml:11:20: invalid uid "5-2": want a number or a first-last range (first <= last), below 4294967295`,
			`policy.yaml:11:27: invalid uid "4294967295": want a number or a first-last range (first <= last), below 4294967295`,
			`policy.yaml:11:57: invalid uid "x": want a number or a first-last range (first <= last), below 4294967295`,
		},
		schemaSkip: true, // ranges are checked by Parse only
	},
	{
		name: "bad exec globs",
		give: header + `exec:
  deny:
    - path: ["/usr/lib**", "/a/[bc"]
      program: ["[z-a]"]
      parent: ['x\']
      args: ["[]"]
`,
		wantErrs: []string{
			`policy.yaml:5:14: invalid glob "/usr/lib**": ** must be a whole path segment`,
			`policy.yaml:5:28: invalid glob "/a/[bc": [ without a closing ]`,
			`policy.yaml:6:17: invalid glob "[z-a]": empty range z-a`,
			`policy.yaml:7:16: invalid glob "x\\": trailing \`,
			`policy.yaml:8:14: invalid glob "[]": a class needs at least one character; escape -, ] and \ in it with \`,
		},
		schemaSkip: true, // globs are checked by Parse only
	},
	{
		name: "exec rule names",
		give: header + `exec:
  deny:
    - {name: same, program: [nc]}
    - {program: [wget]}
  allow:
    - {name: same, program: [sh]}
    - {name: exec.deny.1, program: [ls]}
    - {name: exec.allow.0, program: [cat]}
`,
		wantErrs: []string{
			`policy.yaml:8:14: rule name "same" is used twice: events could not tell the rules apart`,
			`policy.yaml:9:14: rule name "exec.deny.1" is used twice: events could not tell the rules apart`,
		},
		schemaSkip: true, // uniqueness is checked by Parse only
	},
	{
		name: "exec wrong types",
		give: header + `exec:
  drift: 1
  deny: {path: /x}
  allow:
    - path: /x
      uid: [[0]]
      size: 1
    - /bin/sh
  every: x
`,
		wantErrs: []string{
			`policy.yaml:4:10: want a string, not int "1"`,
			`policy.yaml:5:9: want a list, not a mapping`,
			`policy.yaml:7:13: want a list, not str "/x"`,
			`policy.yaml:8:13: want a uid or a first-last range, not a list`,
			`policy.yaml:9:7: unknown key "size": want name, path, program, args, parent or uid`,
			`policy.yaml:10:7: want a mapping, not str "/bin/sh"`,
			`policy.yaml:11:3: unknown key "every": want drift, default, deny or allow`,
		},
	},
	{
		name: "network",
		give: header + `network:
  egress:
    default: deny
    deny:
      - {name: no-smtp, ports: [25, 465, 587]}
    allow:
      - name: db
        to: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7, db.example.com., Svc_1.internal]
        ports: [5432, "8000-8100"]
        protocol: tcp
      - {name: dns, ports: [53], protocol: udp}
      - {to: ["unix:/run/postgresql/*", "unix:@jdwp-*"]}
  ingress:
    default: alert
    allow:
      - {name: http, ports: [8080, 0], protocol: tcp}
      - {on: [127.0.0.1, "::1"], ports: ["9000-9100"]}
      - {on: ["unix:/tmp/app.sock"]}
`,
	},
	{
		name: "bad network",
		give: header + `network:
  egress:
    default: reject
    allow:
      - to: [10.0.0.1/8, "*.example.com", "unix:relative", 300.1.2.3.4, "fe80::1%eth0"]
        ports: [0, "90-80", 70000, http]
        protocol: icmp
      - {to: ["unix:/x"], ports: [1]}
      - {to: [], ports: []}
  ingress:
    allow:
      - {on: [example.com]}
      - {to: [10.0.0.1]}
  policy: allow
`,
		wantErrs: []string{
			`policy.yaml:5:14: unknown default "reject": want allow, alert or deny`,
			`policy.yaml:7:14: to "10.0.0.1/8": bits are set past /8: want 10.0.0.0/8`,
			`policy.yaml:7:26: to "*.example.com": a wildcard name cannot be resolved: want the names themselves, or their addresses`,
			`policy.yaml:7:43: to "unix:relative": want unix:/path or unix:@abstract-name`,
			`policy.yaml:7:60: to "300.1.2.3.4": neither an IP address nor a DNS name (a top-level domain is not a number)`,
			`policy.yaml:7:73: to "fe80::1%eth0": an address with a zone: want one without %zone`,
			`policy.yaml:8:17: port "0": no connection goes to port 0: want 1..65535`,
			`policy.yaml:8:20: port "90-80": want a port (0..65535) or a first-last range with first <= last`,
			`policy.yaml:8:29: port "70000": want a port (0..65535) or a first-last range`,
			`policy.yaml:8:36: port "http": want a port (0..65535) or a first-last range`,
			`policy.yaml:9:19: unknown protocol "icmp": want tcp or udp`,
			`policy.yaml:10:9: ports and protocol do not apply to Unix sockets: put the unix: to in a rule of their own`,
			`policy.yaml:11:14: empty to: want at least one item, or no to key`,
			`policy.yaml:11:25: empty ports: want at least one item, or no ports key`,
			`policy.yaml:14:15: on "example.com": a DNS name names no local address: want an IP address, a CIDR or unix:PATH`,
			`policy.yaml:15:10: unknown key "to": want name, on, ports or protocol`,
			`policy.yaml:16:3: unknown key "policy": want egress or ingress`,
		},
		schemaSkip: true,
	},
	{
		name: "every problem at once",
		give: `apiVersion: vigil.dev/v2
kind: Pod
user: root
capabilities: [SYS_ADMIN, CAP_FLY]
seccomp:
  defaultAction: deny
  defaultErrno: EACCES
  rules:
    - names: []
      action: allow
      errno: 99999
    - names: [""]
      args:
        - {index: 6, op: like, value: -1}
        - {index: 0, op: masked-eq, value: 1}
        - {index: 0, op: eq, value: 1, valueTwo: 2, extra: 1}
`,
		wantErrs: []string{
			`policy.yaml:1:13: unknown apiVersion "vigil.dev/v2": want vigil.dev/v1`,
			`policy.yaml:2:7: unknown kind "Pod": want Policy`,
			`policy.yaml:3:7: invalid user "root": want uid:gid, two numbers below 4294967295`,
			`policy.yaml:4:27: unknown capability "CAP_FLY": want a Linux capability such as NET_BIND_SERVICE or CAP_NET_BIND_SERVICE`,
			`policy.yaml:6:18: unknown defaultAction "deny": want allow, errno, kill or log`,
			`policy.yaml:7:17: defaultErrno needs defaultAction errno, not "deny"`,
			`policy.yaml:9:14: empty names: want at least one syscall name`,
			`policy.yaml:11:14: 99999 is out of range: want at most 4095`,
			`policy.yaml:12:7: missing action`,
			`policy.yaml:12:15: empty syscall name`,
			`policy.yaml:14:19: 6 is out of range: want at most 5`,
			`policy.yaml:14:26: unknown op "like": want eq, ne, lt, le, gt, ge or masked-eq`,
			`policy.yaml:14:39: want a decimal or 0x hex number, not int "-1"`,
			`policy.yaml:15:26: masked-eq needs valueTwo, the value (argument & value) must equal`,
			`policy.yaml:16:50: valueTwo is only for masked-eq`,
			`policy.yaml:16:53: unknown key "extra": want index, op, value or valueTwo`,
		},
	},
	{
		name: "missing keys",
		give: "seccomp:\n  rules:\n    - args: [{op: eq}]\n",
		wantErrs: []string{
			"policy.yaml:1:1: missing apiVersion",
			"policy.yaml:1:1: missing kind",
			"policy.yaml:2:3: seccomp needs a profile, a defaultAction or both",
			"policy.yaml:3:7: missing names",
			"policy.yaml:3:7: missing action",
			"policy.yaml:3:14: missing index",
			"policy.yaml:3:14: missing value",
		},
	},
	{
		name: "wrong types",
		give: header + "seccomp:\n  profile: 12\n  rules: {names: x}\ngroups: [\"1000\"]\ncapabilities: NET_RAW\nuser: 1000\n",
		wantErrs: []string{
			`policy.yaml:4:12: want a string, not int "12"`,
			"policy.yaml:5:10: want a list, not a mapping",
			`policy.yaml:6:10: want a decimal or 0x hex number, not str "1000"`,
			`policy.yaml:7:15: want a list, not str "NET_RAW"`,
			`policy.yaml:8:7: want a string, not int "1000"`,
		},
	},
	{
		name:       "duplicate key",
		give:       header + "kind: Policy\n",
		wantErrs:   []string{`policy.yaml:3:1: duplicate key "kind"`},
		schemaSkip: true,
	},
	{
		name: "anchors",
		give: header + "seccomp:\n  profile: docker-default\n  rules:\n    - names: &n [ptrace]\n      action: kill\n    - names: *n\n      action: log\n",
		wantErrs: []string{
			"policy.yaml:6:14: anchors and aliases are not supported",
			"policy.yaml:8:14: anchors and aliases are not supported",
		},
		schemaSkip: true,
	},
	{
		name:       "two documents",
		give:       header + "---\n" + header,
		wantErrs:   []string{"policy.yaml: more than one YAML document"},
		schemaSkip: true,
	},
	{
		name:       "not YAML",
		give:       "apiVersion: [\n",
		wantErrs:   []string{"policy.yaml:1: invalid YAML: did not find expected node content"},
		schemaSkip: true,
	},
	{
		name:       "empty",
		give:       "# nothing\n",
		wantErrs:   []string{"policy.yaml: empty policy"},
		schemaSkip: true,
	},
	{
		name:     "seccomp without profile or default",
		give:     header + "seccomp:\n  profile: \"\"\n  rules: []\n",
		wantErrs: []string{"policy.yaml:4:12: empty profile: want docker-default or a path to a Docker/OCI JSON profile"},
	},
	{
		name: "errno without errno action",
		give: header + "seccomp:\n  profile: docker-default\n  rules:\n    - {names: [ptrace], action: kill, errno: EPERM}\n    - {names: [mkdir], action: errno, errno: ENOPE}\n    - {names: [mkdir], action: errno, errno: \"13\"}\n",
		wantErrs: []string{
			`policy.yaml:6:46: errno needs action errno, not "kill"`,
			`policy.yaml:7:46: unknown errno "ENOPE": want 1..4095 or a name such as EACCES`,
			`policy.yaml:8:46: want an unquoted number or an errno name, not "13"`,
		},
	},
	{
		name:       "uid out of range",
		give:       header + "user: \"4294967295:0\"\n",
		wantErrs:   []string{`policy.yaml:3:7: invalid user "4294967295:0": want uid:gid, two numbers below 4294967295`},
		schemaSkip: true,
	},
	{
		name: "rule pack rules disabled",
		give: header + "rules:\n  disable: [proc.package-manager, proc.ptrace]\n",
	},
	{
		name: "rule pack off",
		give: header + "rules:\n  pack: off\n",
	},
	{
		name: "rule pack: unknown rule and value",
		give: header + "rules:\n  pack: none\n  disable: [proc.ptrace, proc.shell]\n",
		wantErrs: []string{
			`policy.yaml:4:9: unknown pack "none": want default or off`,
			`policy.yaml:5:26: unknown rule "proc.shell": want a rule of the default pack (docs/rules.md): proc.shell-from-app, proc.package-manager, proc.network-tool, proc.netcat-exec, proc.exec-from-tmp, proc.credential-search, proc.bulk-removal, proc.system-user-shell, proc.ssh-nonstandard-port, proc.ptrace, proc.packet-socket, proc.kernel-module, proc.setuid-bit, files.log-clearing, files.link-sensitive, files.sensitive-late, net.cloud-metadata, net.kubernetes-api, proc.outsider, proc.terminal-shell, proc.fileless-running, proc.drift-running, proc.root, proc.listener, proc.reverse-shell, proc.cpu-hog or files.traversal`,
		},
	},
	{
		name: "rule pack: enable a rule that is on already",
		give: header + "rules:\n  enable: [files.traversal, proc.ptrace]\n",
		wantErrs: []string{
			`policy.yaml:4:29: "proc.ptrace" is not a rule to enable (the pack's other rules are on by default): want files.traversal`,
		},
	},
}
