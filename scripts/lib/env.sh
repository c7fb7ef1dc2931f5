# Shared by the scripts (sourced, not run): which test environments exist
# and where their virtual environments live.

ENVS_DIR=.venvs

# venv_dir ENV -> .venvs/ENV
venv_dir() { echo "$ENVS_DIR/$1"; }

# parse_ha_envs [--ha minimum|current|release|all] -> the environments asked for
# (default: minimum current). Other arguments are refused.
parse_ha_envs() {
  local envs="minimum current"
  while (($#)); do
    case $1 in
      --ha)
        case ${2:-} in
          minimum|current|release) envs=$2 ;;
          all) envs="minimum current release" ;;
          *) echo "--ha takes minimum, current, release or all, not '${2:-}'" >&2; return 2 ;;
        esac
        shift 2 ;;
      *) echo "unknown argument $1" >&2; return 2 ;;
    esac
  done
  echo "$envs"
}
