#!/usr/bin/env python3
"""Checks of the built manifests that a schema cannot make (see validate.sh).

    check.py CONFIG BUILT.yaml...     every check, one line per failure, exit 1 on any
    check.py --print-args BUILT.yaml...   each trellis container's arguments, for a CLI run
"""
import shlex
import sys

import yaml

# What make-secrets.sh creates: secret name -> keys.
SECRETS = {"trellis-token": {"token"}, "trellis-curve": {"curve.key", "curve.pub"}}
WORKLOADS = ("StatefulSet", "Deployment")


def load(path):
    return [d for d in yaml.safe_load_all(open(path)) if d]


def containers(obj):
    return obj["spec"]["template"]["spec"]["containers"]


def flag(args, name):
    """The value of --name=value in args, or None."""
    for a in args:
        if a.startswith(f"--{name}="):
            return a.split("=", 1)[1]
    return None


def check(config_path, path):
    objs = load(path)
    errors = []
    by_kind = lambda k: [o for o in objs if o["kind"] == k]
    name = lambda o: f"{path.rsplit('/', 1)[-1]}: {o['kind']}/{o['metadata']['name']}"
    configmaps = {o["metadata"]["name"]: o for o in by_kind("ConfigMap")}
    services = {o["metadata"]["name"]: o for o in by_kind("Service")}
    pods = []  # (workload, template labels)
    for w in (o for o in objs if o["kind"] in WORKLOADS):
        spec, tpl = w["spec"], w["spec"]["template"]
        labels = tpl["metadata"].get("labels", {})
        pods.append((w, labels))
        sel = spec["selector"]["matchLabels"]
        if any(labels.get(k) != v for k, v in sel.items()):
            errors.append(f"{name(w)}: selector {sel} does not match the template's labels {labels}")
        pod = tpl["spec"]
        sc = pod.get("securityContext", {})
        if not sc.get("runAsNonRoot") or sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            errors.append(f"{name(w)}: expected runAsNonRoot and the RuntimeDefault seccomp profile")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
        if w["kind"] == "StatefulSet":
            svc = services.get(spec["serviceName"])
            if not svc or svc["spec"].get("clusterIP") != "None":
                errors.append(f"{name(w)}: serviceName {spec['serviceName']} is not a headless Service of this build")
        for v in volumes.values():
            if "configMap" in v and v["configMap"]["name"] not in configmaps:
                errors.append(f"{name(w)}: volume {v['name']} reads ConfigMap {v['configMap']['name']}, not in this build")
            if "secret" in v:
                s = v["secret"]
                keys = {i["key"] for i in s.get("items", [])}
                if s["secretName"] not in SECRETS or not keys <= SECRETS[s["secretName"]]:
                    errors.append(f"{name(w)}: volume {v['name']} reads {s['secretName']} {sorted(keys)}, which make-secrets.sh does not make")
        for c in containers(w):
            where = f"{name(w)} container {c['name']}"
            args = c.get("args", [])
            if any(a == "--token" or a.startswith("--token=") for a in args):
                errors.append(f"{where}: the token is in the arguments (ps shows them); use TRELLIS_TOKEN from the Secret")
            env = {e["name"]: e for e in c.get("env", [])}
            tok = env.get("TRELLIS_TOKEN", {}).get("valueFrom", {}).get("secretKeyRef", {})
            if (tok.get("name"), tok.get("key")) != ("trellis-token", "token"):
                errors.append(f"{where}: TRELLIS_TOKEN must come from Secret trellis-token key token, found {tok or 'none'}")
            for e in env.values():
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["key"] not in SECRETS.get(ref["name"], ()):
                    errors.append(f"{where}: env {e['name']} reads {ref['name']}/{ref['key']}, which make-secrets.sh does not make")
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes and m["name"] not in claims:
                    errors.append(f"{where}: mount {m['name']} has no volume")
            res = c.get("resources", {})
            if not {"cpu", "memory"} <= set(res.get("requests", {})) or "memory" not in res.get("limits", {}):
                errors.append(f"{where}: expected cpu and memory requests and a memory limit")
            csc = c.get("securityContext", {})
            if csc.get("allowPrivilegeEscalation") is not False or not csc.get("readOnlyRootFilesystem") \
                    or csc.get("capabilities", {}).get("drop") != ["ALL"]:
                errors.append(f"{where}: expected no privilege escalation, a read-only root and all capabilities dropped")
            ports = {p["name"] for p in c.get("ports", [])}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                port = c.get(probe, {}).get("tcpSocket", {}).get("port")
                if port is not None and port not in ports:
                    errors.append(f"{where}: {probe} probes port {port}, not a named port of the container")
    for s in services.values():
        sel = s["spec"].get("selector", {})
        if not any(all(l.get(k) == v for k, v in sel.items()) for _, l in pods):
            errors.append(f"{name(s)}: selects no pod of this build ({sel})")
        for p in s["spec"]["ports"]:
            target = p.get("targetPort")
            if isinstance(target, str) and not any(
                    target in {cp["name"] for c in containers(w) for cp in c.get("ports", [])}
                    for w, l in pods if all(l.get(k) == v for k, v in sel.items())):
                errors.append(f"{name(s)}: targetPort {target} is no port of the pods it selects")

    # The run: the coordinator resumes from its volume and waits for the workers and servers there are.
    coord = [w for w in by_kind("StatefulSet") if w["metadata"]["name"] == "trellis-coordinator"]
    if len(coord) != 1:
        return errors + [f"{path}: expected one StatefulSet trellis-coordinator"]
    coord = coord[0]
    args = containers(coord)[0]["args"]
    mounts = {m["mountPath"] for m in containers(coord)[0]["volumeMounts"]}
    ckpt = flag(args, "checkpoint-dir") or ""
    claims = {c["metadata"]["name"] for c in coord["spec"].get("volumeClaimTemplates", [])}
    claim_mounts = {m["mountPath"] for m in containers(coord)[0]["volumeMounts"] if m["name"] in claims}
    if "--resume" not in args or not any(ckpt.startswith(m + "/") for m in claim_mounts):
        errors.append(f"{name(coord)}: expected --resume and a --checkpoint-dir on its persistent volume ({sorted(claim_mounts)}), found {ckpt!r}")
    workers = [w for w in by_kind("Deployment") if w["metadata"]["name"] == "trellis-worker"]
    servers = [w for w in by_kind("StatefulSet") if w["metadata"]["name"] == "trellis-server"]
    want = {"workers": workers[0]["spec"]["replicas"] if workers else None,
            "servers": servers[0]["spec"]["replicas"] if servers else 0}
    for key, replicas in want.items():
        if flag(args, key) != str(replicas):
            errors.append(f"{name(coord)}: --{key}={flag(args, key)} but the build runs {replicas}")
    cfg = flag(args, "config") or ""
    mount = next((m for m in containers(coord)[0]["volumeMounts"] if cfg.startswith(m["mountPath"] + "/")), None)
    vol = next((v for v in coord["spec"]["template"]["spec"].get("volumes", []) if mount and v["name"] == mount["name"]), None)
    if not vol or "configMap" not in vol:
        errors.append(f"{name(coord)}: --config {cfg} is not on a ConfigMap volume")
    else:
        data = configmaps[vol["configMap"]["name"]]["data"].get(cfg.rsplit("/", 1)[-1])
        if data is None or yaml.safe_load(data) != yaml.safe_load(open(config_path)):
            errors.append(f"{name(coord)}: the ConfigMap's {cfg.rsplit('/', 1)[-1]} differs from {config_path}")
    return errors


def print_args(paths):
    """name<TAB>shell-quoted args, with a 1 s join timeout and the env references filled in."""
    seen = set()
    for path in paths:
        for w in (o for o in load(path) if o["kind"] in WORKLOADS):
            for c in containers(w):
                args = [a.replace("$(POD_NAME)", f"{w['metadata']['name']}-0")
                         .replace("$(TRELLIS_CURVE_PUBLIC_KEY)", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")
                        for a in c["args"]]
                args = ["--join-timeout=1" if a.startswith("--join-timeout=") else a for a in args]
                key = tuple(args)
                if key not in seen:
                    seen.add(key)
                    print(f"{path.rsplit('/', 1)[-1]}: {w['metadata']['name']}\t{shlex.join(args)}")


if __name__ == "__main__":
    if sys.argv[1] == "--print-args":
        print_args(sys.argv[2:])
        sys.exit(0)
    failures = [e for p in sys.argv[2:] for e in check(sys.argv[1], p)]
    for p in sys.argv[2:]:
        if not any(e.startswith(p.rsplit("/", 1)[-1]) for e in failures):
            print(f"ok    {p.rsplit('/', 1)[-1]}")
    for e in failures:
        print(f"FAIL  {e}")
    sys.exit(1 if failures else 0)
