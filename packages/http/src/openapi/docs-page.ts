/**
 * A self-contained reference page: it fetches /openapi.json and lists every operation with its
 * parameters, body and responses. No CDN, no bundle: it must work on a machine without internet.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem; color: #222 }
h2 { border-bottom: 1px solid #ddd; margin-top: 2rem }
details { border: 1px solid #ddd; border-radius: 6px; margin: .5rem 0; padding: .25rem .75rem }
summary { cursor: pointer }
.method { display: inline-block; min-width: 4.5rem; font-weight: 700; text-transform: uppercase }
.get { color: #1565c0 } .post { color: #2e7d32 } .put, .patch { color: #ef6c00 } .delete { color: #c62828 }
pre { background: #f6f8fa; padding: .5rem; overflow: auto; font-size: 13px }
code { font-size: 13px }
</style>
</head>
<body>
<h1 id="title">API reference</h1>
<p id="description"></p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<main id="operations">Loading…</main>
<script>
const text = (tag, content, className) => {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
};
const json = (value) => text('pre', JSON.stringify(value, null, 2));
fetch('/openapi.json').then((response) => response.json()).then((doc) => {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.getElementById('description').textContent = doc.info.description || '';
  const main = document.getElementById('operations');
  main.textContent = '';
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths || {}))
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op });
    }
  for (const [tag, ops] of byTag) {
    main.append(text('h2', tag));
    for (const { path, method, op } of ops) {
      const details = document.createElement('details');
      const summary = document.createElement('summary');
      summary.append(text('span', method, 'method ' + method), text('code', path), text('span', ' — ' + (op.summary || '')));
      details.append(summary);
      if (op.description) details.append(text('p', op.description));
      if (op.security) details.append(text('p', 'Auth: ' + op.security.map((s) => Object.keys(s).join('+')).join(' or ')));
      if (op.parameters && op.parameters.length) { details.append(text('h4', 'Parameters')); details.append(json(op.parameters)); }
      if (op.requestBody) { details.append(text('h4', 'Body')); details.append(json(op.requestBody)); }
      details.append(text('h4', 'Responses'));
      details.append(json(op.responses));
      main.append(details);
    }
  }
}).catch((error) => { document.getElementById('operations').textContent = 'Cannot load /openapi.json: ' + error; });
</script>
</body>
</html>
`;
