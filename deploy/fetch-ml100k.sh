#!/usr/bin/env bash
# Fetches MovieLens-100K in RecBole's atomic format into DIR/ml-100k (default: data/ml-100k).
# The files come from the recbole==1.2.1 wheel on PyPI, which ships recbole/dataset_example/ml-100k/.
set -euo pipefail
dest="${1:-data}/ml-100k"
if [ -f "$dest/ml-100k.inter" ] && (cd "$dest" && sha256sum --quiet -c ml-100k.sha256 2>/dev/null); then
  echo "ml-100k already in $dest"; exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check recbole==1.2.1 -d "$tmp"
mkdir -p "$dest"
python3 - "$tmp"/recbole-1.2.1-py3-none-any.whl "$dest" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
prefix = "recbole/dataset_example/ml-100k/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            with open(os.path.join(dest, os.path.basename(name)), "wb") as out:
                out.write(z.read(name))
PY
cat > "$dest/ml-100k.sha256" <<'SUMS'
4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff  ml-100k.inter
51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532  ml-100k.item
200a0636fa07c218119a42e5bac7aa3e26e3665a6f919c1b22909bd412b14779  ml-100k.kg
524dca2c3d62619688ab99b3ec53ea2acb9b64d38eafec3e02bdd0dc6bb7d948  ml-100k.link
4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972  ml-100k.user
SUMS
(cd "$dest" && sha256sum --quiet -c ml-100k.sha256) || { echo "ml-100k checksum mismatch in $dest" >&2; exit 1; }
echo "ml-100k fetched into $dest"
