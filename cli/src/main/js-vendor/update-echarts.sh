#!/usr/bin/env bash
# Refreshes the Apache ECharts build that the HTML report inlines.
# The Maven build never runs this: it uses the files committed under
# cli/src/main/resources/io/gradscale/cli/report/vendor/. Run it by hand (needs npm and the
# npm registry) to move to another version, then commit the changed files together:
#   cli/src/main/js-vendor/update-echarts.sh 6.1.0
set -euo pipefail

version="${1:?usage: update-echarts.sh ECHARTS_VERSION (e.g. 6.1.0)}"
here="$(cd "$(dirname "$0")" && pwd)"
dest="$here/../resources/io/gradscale/cli/report/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
# npm pack checks the tarball against the registry's integrity hash.
npm pack --silent "echarts@$version" >/dev/null
tar xzf "echarts-$version.tgz"
zrender_version="$(node -p "require('./package/package.json').dependencies.zrender")"
mkdir zr
npm pack --silent "zrender@$zrender_version" >/dev/null
tar xzf "zrender-$zrender_version.tgz" -C zr

if grep -qi '</script' package/dist/echarts.min.js; then
    echo "echarts.min.js contains '</script'; it cannot be inlined in a <script> element" >&2
    exit 1
fi

cp package/dist/echarts.min.js "$dest/echarts.min.js"
cp package/LICENSE "$dest/LICENSE-echarts"
cp package/NOTICE "$dest/NOTICE-echarts"
cp package/licenses/LICENSE-d3 "$dest/LICENSE-d3"
cp zr/package/LICENSE "$dest/LICENSE-zrender"
sha="$(sha256sum "$dest/echarts.min.js" | cut -d' ' -f1)"

cat > "$dest/README.md" <<README
# Vendored chart library

The HTML report (\`io.gradscale.cli.report.HtmlReport\`) inlines Apache ECharts so that a report
opens with no network. Files here:

- \`echarts.min.js\`: \`dist/echarts.min.js\` of the npm package \`echarts@$version\`
  (bundles \`zrender@$zrender_version\`), sha256 \`$sha\`
- \`LICENSE-echarts\`, \`NOTICE-echarts\`: Apache License 2.0 and the ECharts notice
- \`LICENSE-d3\`: BSD 3-Clause, for the d3.js code ECharts embeds
- \`LICENSE-zrender\`: BSD 3-Clause, for ZRender, the renderer bundled in the file

To update, run \`cli/src/main/js-vendor/update-echarts.sh VERSION\` (needs npm and the registry)
and commit every file in this folder. The build itself never needs npm or the network.

version: $version
sha256: $sha
README
echo "vendored echarts $version (zrender $zrender_version) into $dest"
