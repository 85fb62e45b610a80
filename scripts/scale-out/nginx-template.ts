/**
 * Rendering deploy/nginx.conf outside compose: the loopback proofs (./harness.ts) and the test
 * that has nginx check the rendered file (test/deploy.test.ts). No side effects on import.
 */

/**
 * deploy/nginx.conf with its placeholders filled, as the nginx image's envsubst does in
 * compose (`${NAME}` and `$NAME` of the given names), plus one rule: a non-comment line that
 * names DLCHECK_UPSTREAM is written once per address (compose gives one name instead, which
 * Docker's DNS resolves to every replica). Throws on a DLCHECK_ placeholder it has no value for.
 */
export function renderNginxConf (template: string, upstreams: string[], values: Record<string, string>): string {
  const lines = template.split('\n').flatMap((line) =>
    !line.trimStart().startsWith('#') && /\$\{?DLCHECK_UPSTREAM\b/.test(line)
      ? upstreams.map((address) => line.replace(/\$\{DLCHECK_UPSTREAM\}|\$DLCHECK_UPSTREAM\b/g, address))
      : [line])
  return lines.join('\n').replace(/\$\{(DLCHECK_\w+)\}|\$(DLCHECK_\w+)/g, (match, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!
    if (!(name in values)) throw new Error(`deploy/nginx.conf: no value for ${match}`)
    return values[name]
  })
}

/** The DLCHECK_ placeholders a template names, each once, in order. */
export function placeholders (template: string): string[] {
  return [...new Set([...template.matchAll(/\$\{(DLCHECK_\w+)\}/g)].map((match) => match[1]))]
}
