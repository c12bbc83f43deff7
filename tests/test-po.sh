#!/bin/sh
# test-po.sh SOURCE_ROOT [--update]
# Fails when a user-visible string is untranslated, fuzzy or stale in a
# po/<lang>.po, or when po/POTFILES.in misses a file with translatable
# strings. The template is regenerated from the sources with xgettext (the
# keywords of meson's i18n 'glib' preset), never read from the tree.
#   --update   also merge the fresh template into each .po (msgmerge), for
#              translators; the check then reports what is left to do.
set -u
src=$(cd "$1" && pwd)
update=${2:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ranklab-po-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

for tool in xgettext msgcmp msgfmt msgattrib; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

# 1. POTFILES.in lists every source with translatable strings.
listed=$tmp/listed
grep -v '^#' "$src/po/POTFILES.in" | sed '/^$/d' | sort >"$listed"
for f in $(cd "$src" && ls src/app/*.c ui/*.ui ui/*/*.ui data/*.in data/*.gschema.xml 2>/dev/null); do
  if grep -qE '(\b(N?_|C_|NC_|ngettext)[[:space:]]*\()|translatable="yes"|<summary>|^Name=' "$src/$f" \
     && ! grep -qxF "$f" "$listed"; then
    echo "FAIL: $f has translatable strings but is not in po/POTFILES.in"; fail=1
  fi
done
while read -r f; do
  [ -f "$src/$f" ] || { echo "FAIL: po/POTFILES.in lists $f, which does not exist"; fail=1; }
done <"$listed"

# 2. A fresh template from the sources.
(cd "$src" && xgettext --from-code=UTF-8 --add-comments --package-name=ranklab \
    --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
    --keyword=g_dngettext:2,3 --keyword=ngettext:1,2 --keyword=g_dpgettext2:2c,3 \
    --flag=g_strdup_printf:1:c-format --flag=g_string_printf:2:c-format \
    --flag=g_string_append_printf:2:c-format --flag=g_set_error:4:c-format \
    --files-from="$tmp/listed" -o "$tmp/ranklab.pot") || { echo "FAIL: xgettext"; exit 1; }
echo "template: $(grep -c '^msgid ' "$tmp/ranklab.pot") messages (with the header)"

for lang in $(sed 's/#.*//' "$src/po/LINGUAS"); do
  po=$src/po/$lang.po
  [ -f "$po" ] || { echo "FAIL: po/$lang.po is missing"; fail=1; continue; }
  if [ "$update" = "--update" ]; then
    msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" "$tmp/ranklab.pot"
  fi
  # 3. Every source string has a translation that is neither fuzzy nor empty;
  # 4. no stale entry: every live msgid of the .po still occurs in the sources.
  msgattrib --force-po --no-obsolete "$po" -o "$tmp/live.po"
  msgmerge --quiet --force-po --no-fuzzy-matching --no-wrap "$tmp/live.po" "$tmp/ranklab.pot" \
    -o "$tmp/merged.po" || { echo "FAIL: msgmerge $lang.po"; fail=1; continue; }
  for kind in untranslated only-fuzzy only-obsolete; do
    msgattrib --force-po --no-wrap --$kind "$tmp/merged.po" -o "$tmp/$kind.po"
    n=$(($(grep -cE '^(#~ )?msgid ' "$tmp/$kind.po") - 1))    # less the header
    if [ "$n" -gt 0 ]; then
      case $kind in
        untranslated) what="untranslated (or missing)" ;;
        only-fuzzy) what="fuzzy" ;;
        only-obsolete) what="stale (no longer in the sources)" ;;
      esac
      echo "FAIL: $lang.po: $n $what:"
      # Each msgid on one line (continuation lines joined), header skipped.
      awk '/^(#~ )?msgid /{if(m!="")print m; sub(/^(#~ )?msgid /,""); m=$0; next}
           /^(#~ )?"/{if(m!=""){sub(/^(#~ )?/,""); m=m $0}; next}
           {if(m!="")print m; m=""} END{if(m!="")print m}' "$tmp/$kind.po" \
        | sed 's/""//g' | grep -v '^$' | sed 's/^/  /' | head -40
      fail=1
    fi
  done
  # 5. Formats, headers, accelerators; statistics must show no fuzzy or untranslated.
  if ! msgfmt --check --statistics -o "$tmp/$lang.mo" "$po" 2>"$tmp/stats"; then
    echo "FAIL: msgfmt --check $lang.po"; fail=1
  fi
  sed "s/^/$lang: /" "$tmp/stats"
  grep -Eq 'fuzzy|untranslated' "$tmp/stats" && { echo "FAIL: $lang.po has fuzzy or untranslated messages"; fail=1; }
done

[ $fail -eq 0 ] && echo "po: complete"
exit $fail
