// Lists every function, method and arrow function longer than the limit
// (default 60 lines, counted from its first to its last line) under a folder
// (default src/), longest first; exits 1 when there is any. Generated code is
// skipped. Usage: tsx scripts/long-functions.ts [folder] [limit]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = process.argv[2] ?? 'src';
const limit = Number(process.argv[3] ?? 60);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) return entry === 'generated' || entry === 'node_modules' ? [] : sourceFiles(file);
    return file.endsWith('.ts') && !file.endsWith('.generated.ts') ? [file] : [];
  });
}

/** A readable name: the declaration's own, the variable or property it is assigned to, or the call it is passed to. */
function nameOf(node: ts.FunctionLikeDeclaration): string {
  const own = node.name?.getText();
  const { parent } = node;
  if (own && ts.isClassLike(parent)) return `${parent.name?.getText() ?? '<class>'}.${own}`;
  if (own) return own;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText();
  if (ts.isCallExpression(parent)) return `<argument of ${parent.expression.getText().slice(0, 40)}>`;
  return '<anonymous>';
}

const found: { lines: number; where: string; name: string }[] = [];
for (const file of sourceFiles(root)) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = lineOf(node.getStart(source));
      const lines = lineOf(node.getEnd()) - first + 1;
      if (lines > limit) found.push({ lines, where: `${file}:${first}`, name: nameOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

for (const { lines, where, name } of found.sort((a, b) => b.lines - a.lines)) console.log(`${lines}\t${where}\t${name}`);
if (found.length > 0) process.exitCode = 1;
