# Shared by scripts/build-python and scripts/python-3.14 (sourced, not run).

# Run a command as root: directly when we are root, else through sudo.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# The Debian archive this machine's apt uses (deb822 .sources or a classic
# sources.list), so that no script names a host.
debian_archive() {
  local uri="" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk '/^URIs:/{print $2; exit}' "$f")
    [[ -n $uri && $uri != *security* ]] && break
    uri=""
  done
  if [[ -z $uri ]]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f $f ]] || continue
      uri=$(awk '$1 ~ /^deb(-src)?$/ && $2 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:/) {print $i; exit}}' "$f")
      [[ -n $uri ]] && break
    done
  fi
  if [[ -z $uri ]]; then
    echo "no Debian archive configured for apt (/etc/apt/sources.list*)" >&2
    return 1
  fi
  echo "$uri"
}
