#!/usr/bin/env node
// Lists the longest functions under a folder (default lib/), by lines, with
// the count of those of 80 lines or more (the house limit, STYLE.md / issue
// 15). Report only: it never fails a build.
//   node scripts/function-lengths.js [folder] [how many to list]
const ts = require('typescript');
const root = process.argv[2] ?? 'lib';
const fs = require('fs'), path = require('path');
function walk(d){return fs.readdirSync(d,{withFileTypes:true}).flatMap(e=>e.isDirectory()?walk(path.join(d,e.name)):e.name.endsWith('.ts')&&!e.name.endsWith('.d.ts')?[path.join(d,e.name)]:[]);}
const out=[];
for (const f of walk(root)) {
  if (f.includes('/generated/')) continue;
  const src = ts.createSourceFile(f, fs.readFileSync(f,'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if ((ts.isFunctionDeclaration(n)||ts.isMethodDeclaration(n)||ts.isArrowFunction(n)||ts.isFunctionExpression(n)||ts.isConstructorDeclaration(n)||ts.isGetAccessor(n)) && n.body) {
      const a = src.getLineAndCharacterOfPosition(n.getStart()).line, b = src.getLineAndCharacterOfPosition(n.end).line;
      const name = n.name ? n.name.getText() : '(anonymous)';
      out.push([b-a+1, `${path.relative(root, f)}:${a+1} ${name}`]);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
}
out.sort((x,y)=>y[0]-x[0]);
console.log(out.filter(x=>x[0]>=80).length+' functions of 80 lines or more');
for (const [n,w] of out.slice(0, +process.argv[3]||10)) console.log(n, w);
