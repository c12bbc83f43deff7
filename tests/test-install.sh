#!/bin/sh
# test-install.sh BUILD_DIR PREFIX — `meson install` into a temporary DESTDIR,
# then checks that every file of the desktop integration landed and is valid.
set -u
build=$1
prefix=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ranklab-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

if ! meson install -C "$build" --no-rebuild --quiet --destdir "$tmp" >"$tmp.log" 2>&1; then
  cat "$tmp.log"; rm -f "$tmp.log"
  echo "FAIL: meson install"; exit 1
fi
rm -f "$tmp.log"

root=$tmp$prefix
for f in \
  bin/ranklab \
  bin/ranklab-cli \
  share/applications/id.ranklab.RankLab.desktop \
  share/metainfo/id.ranklab.RankLab.metainfo.xml \
  share/mime/packages/id.ranklab.RankLab.xml \
  share/glib-2.0/schemas/id.ranklab.RankLab.gschema.xml \
  share/icons/hicolor/scalable/apps/id.ranklab.RankLab.svg \
  share/icons/hicolor/symbolic/apps/id.ranklab.RankLab-symbolic.svg \
  share/locale/id/LC_MESSAGES/ranklab.mo
do
  if [ -s "$root/$f" ]; then echo "ok: $f"; else echo "FAIL: missing $f"; fail=1; fi
done

[ -x "$root/bin/ranklab" ] || { echo "FAIL: bin/ranklab is not executable"; fail=1; }

desktop=$root/share/applications/id.ranklab.RankLab.desktop
if [ -f "$desktop" ]; then
  grep -Eq '^Exec=ranklab .*%[fFuU]' "$desktop" || { echo "FAIL: Exec has no file argument"; fail=1; }
  grep -q '^MimeType=.*application/x-ranklab-model;' "$desktop" || { echo "FAIL: no MimeType"; fail=1; }
  grep -q '^Name\[id\]=' "$desktop" || { echo "FAIL: desktop file not translated"; fail=1; }
fi
mime=$root/share/mime/packages/id.ranklab.RankLab.xml
[ -f "$mime" ] && ! grep -q 'type="application/x-ranklab-model"' "$mime" && { echo "FAIL: MIME type"; fail=1; }
meta=$root/share/metainfo/id.ranklab.RankLab.metainfo.xml
if [ -f "$meta" ]; then
  grep -q '<launchable type="desktop-id">id.ranklab.RankLab.desktop</launchable>' "$meta" \
    || { echo "FAIL: metainfo has no launchable"; fail=1; }
  grep -q 'xml:lang="id"' "$meta" || { echo "FAIL: metainfo not translated"; fail=1; }
fi
# The installed schema compiles (post-install scripts skip a DESTDIR install).
if command -v glib-compile-schemas >/dev/null; then
  glib-compile-schemas --strict --targetdir="$tmp" "$root/share/glib-2.0/schemas" \
    || { echo "FAIL: installed schema does not compile"; fail=1; }
fi
[ $fail -eq 0 ] && echo "install: all expected files present"
exit $fail
