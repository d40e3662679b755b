// `cargo xtask upstream-derive`: the structure of the service's 2024 API, read from the official
// Node SDK's TypeScript source (authing-node-sdk, pinned in package-lock.json) with the TypeScript
// compiler's own parser. Prints one JSON object on stdout:
//
//   { source, authentication: <structure document>, management: <structure document>, unmapped }
//
// where a structure document is the OpenAPI subset of openapi/upstream/*.structure.json (paths,
// operations, query parameters, bodies, answers, component schemas; no prose), and `unmapped` names
// every construct this script could not map (a method that is not the generated
// `return await this.httpClient.request({...})` shape, a type it has no rule for), so nothing is
// dropped without a word. The xtask sorts and writes the documents.
//
// Usage: node derive.mjs <node_modules directory>

import { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const modules = process.argv[2] && resolve(process.argv[2]);
if (!modules) {
  console.error("usage: node derive.mjs <node_modules directory>");
  process.exit(2);
}
const require = createRequire(join(modules, "noop.js"));
const ts = require("typescript");
const sdkPackage = JSON.parse(readFileSync(join(modules, "authing-node-sdk", "package.json"), "utf8"));
const sdk = join(modules, "authing-node-sdk", "src");

const unmapped = [];
const report = (where, what) => unmapped.push(`${where}: ${what}`);
const kind = (node) => ts.SyntaxKind[node.kind];
const parse = (file) =>
  ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);

// ---- Models: one exported type (and its namespace of enums) per file of src/models/.

const modelsDir = join(sdk, "models");
const files = readdirSync(modelsDir)
  .filter((f) => f.endsWith(".ts") && f !== "index.ts")
  .sort();
const declarations = new Map(); // model name -> { node, file }
const enums = new Map(); // "Model.member" or "Name" -> { enum, type }

function enumOf(where, decl) {
  const values = [];
  for (const member of decl.members) {
    const init = member.initializer;
    if (init && ts.isStringLiteral(init)) values.push(init.text);
    else if (init && ts.isNumericLiteral(init)) values.push(Number(init.text));
    else if (init && ts.isPrefixUnaryExpression(init) && init.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(init.operand)) {
      values.push(-Number(init.operand.text));
    } else report(where, `enum member ${member.name.getText()} without a literal value`);
  }
  const types = [...new Set(values.map((v) => typeof v))].sort();
  if (types.length > 1) {
    // Members of both kinds (`'_-1' = -1` beside strings): one of an enum of each kind.
    return { oneOf: types.map((type) => ({ enum: values.filter((v) => typeof v === type), type })) };
  }
  return { enum: values, type: types[0] === "number" ? "number" : "string" };
}

for (const file of files) {
  const source = parse(join(modelsDir, file));
  for (const statement of source.statements) {
    const where = `models/${file}`;
    if (ts.isImportDeclaration(statement)) continue;
    if (ts.isTypeAliasDeclaration(statement)) {
      declarations.set(statement.name.text, { node: statement.type, file });
    } else if (ts.isInterfaceDeclaration(statement)) {
      if (statement.heritageClauses?.length) report(where, `interface ${statement.name.text} extends another`);
      declarations.set(statement.name.text, { node: statement, file });
    } else if (ts.isEnumDeclaration(statement)) {
      enums.set(statement.name.text, enumOf(where, statement));
      declarations.set(statement.name.text, { node: statement, file });
    } else if (ts.isModuleDeclaration(statement) && statement.body && ts.isModuleBlock(statement.body)) {
      for (const inner of statement.body.statements) {
        if (ts.isEnumDeclaration(inner)) {
          enums.set(`${statement.name.text}.${inner.name.text}`, enumOf(where, inner));
        } else {
          report(where, `namespace ${statement.name.text}: ${kind(inner)}`);
        }
      }
    } else {
      report(where, kind(statement));
    }
  }
}

// ---- Types to schemas.

function literalValue(node) {
  if (ts.isStringLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  return undefined;
}

function objectSchema(where, members) {
  const properties = {};
  const required = [];
  for (const member of members) {
    if (ts.isPropertySignature(member) && member.name && !ts.isComputedPropertyName(member.name)) {
      const name = member.name.text ?? member.name.getText();
      properties[name] = member.type ? schemaOf(`${where}.${name}`, member.type) : {};
      if (!member.questionToken) required.push(name);
    } else if (ts.isIndexSignatureDeclaration(member)) {
      return { additionalProperties: schemaOf(`${where}[]`, member.type), type: "object" };
    } else {
      report(where, `member ${kind(member)}`);
    }
  }
  const schema = { properties, type: "object" };
  if (required.length) schema.required = required;
  return schema;
}

function schemaOf(where, node) {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: "string" };
    case ts.SyntaxKind.NumberKeyword:
      return { type: "number" };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: "boolean" };
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
      return {};
    case ts.SyntaxKind.ObjectKeyword:
      return { type: "object" };
  }
  if (ts.isParenthesizedTypeNode(node)) return schemaOf(where, node.type);
  if (ts.isArrayTypeNode(node)) return { items: schemaOf(`${where}[]`, node.elementType), type: "array" };
  if (ts.isTypeLiteralNode(node)) return objectSchema(where, node.members);
  if (ts.isInterfaceDeclaration(node)) return objectSchema(where, node.members);
  if (ts.isEnumDeclaration(node)) return enums.get(node.name.text);
  if (ts.isLiteralTypeNode(node)) {
    const value = literalValue(node.literal);
    if (value !== undefined) return { enum: [value], type: typeof value };
  }
  if (ts.isUnionTypeNode(node)) {
    // `T | null` is T, nullable; a union of literals of one type an enum; any other union anyOf (a TypeScript union is inclusive: a value may be of several members).
    const isNull = (t) => ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword;
    const members = node.types.filter((t) => !isNull(t));
    const nullable = members.length < node.types.length ? { nullable: true } : {};
    const values = members.map((t) => (ts.isLiteralTypeNode(t) ? literalValue(t.literal) : undefined));
    const types = [...new Set(values.map((v) => typeof v))];
    if (values.every((v) => v !== undefined) && types.length === 1) {
      return { enum: values, type: types[0], ...nullable };
    }
    if (members.length === 1) return { ...schemaOf(where, members[0]), ...nullable };
    return { anyOf: members.map((t, i) => schemaOf(`${where}|${i}`, t)), ...nullable };
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    const args = node.typeArguments ?? [];
    if (name === "Array" && args.length === 1) return { items: schemaOf(`${where}[]`, args[0]), type: "array" };
    if (name === "Record" && args.length === 2) {
      return { additionalProperties: schemaOf(`${where}[]`, args[1]), type: "object" };
    }
    if (args.length === 0 && enums.has(name) && name.includes(".")) return { ...enums.get(name) };
    if (args.length === 0 && declarations.has(name)) return { $ref: `#/components/schemas/${name}` };
  }
  report(where, `type ${kind(node)} \`${node.getText()}\``);
  return {};
}

// ---- Clients: every method of the generated shape is one operation.

// The object literal `{ a: b, ... }` as a map of property name to initializer.
function fields(where, literal) {
  const out = new Map();
  for (const p of literal.properties) {
    if (ts.isPropertyAssignment(p)) out.set(p.name.getText().replace(/^"|"$/g, ""), p.initializer);
    else if (ts.isShorthandPropertyAssignment(p)) out.set(p.name.text, p.name);
    else report(where, `request field ${kind(p)}`);
  }
  return out;
}

// The request object of the generated shapes: `return await this.httpClient.request({...})` (the
// management client), or `const result = await this.httpClient.request({...}); return result;` (the
// authentication client), the method's only statements.
function generatedRequest(method) {
  const body = method.body?.statements ?? [];
  let call;
  if (body.length === 1 && ts.isReturnStatement(body[0])) {
    call = body[0].expression;
  } else if (
    body.length === 2 &&
    ts.isVariableStatement(body[0]) &&
    body[0].declarationList.declarations.length === 1 &&
    ts.isReturnStatement(body[1]) &&
    body[1].expression?.getText() === body[0].declarationList.declarations[0].name.getText()
  ) {
    call = body[0].declarationList.declarations[0].initializer;
  }
  if (call && ts.isAwaitExpression(call)) call = call.expression;
  if (!call || !ts.isCallExpression(call) || call.expression.getText() !== "this.httpClient.request") return undefined;
  const [arg] = call.arguments;
  return arg && ts.isObjectLiteralExpression(arg) ? arg : undefined;
}

// The method's parameters: name -> { type node, optional, default }.
function parametersOf(where, method) {
  const out = new Map();
  for (const param of method.parameters) {
    if (ts.isObjectBindingPattern(param.name)) {
      const members = new Map();
      if (param.type && ts.isTypeLiteralNode(param.type)) {
        for (const m of param.type.members) {
          if (ts.isPropertySignature(m) && m.type) members.set(m.name.getText(), m);
        }
      } else {
        report(where, "destructured parameter without a type literal");
      }
      for (const element of param.name.elements) {
        const name = element.name.getText();
        const member = members.get(name);
        if (!member) {
          report(where, `parameter ${name} has no declared type`);
          continue;
        }
        const value = element.initializer ? literalValue(element.initializer) : undefined;
        if (element.initializer && value === undefined) report(where, `parameter ${name}: default ${element.initializer.getText()}`);
        out.set(name, { type: member.type, optional: !!member.questionToken || !!element.initializer, default: value });
      }
    } else if (param.type) {
      out.set(param.name.getText(), { type: param.type, optional: !!param.questionToken || !!param.initializer });
    } else {
      report(where, `parameter ${param.name.getText()} has no declared type`);
    }
  }
  return out;
}

function operationsOf(className, file) {
  const paths = {};
  const source = parse(join(sdk, file));
  const cls = source.statements.find((s) => ts.isClassDeclaration(s) && s.name?.text === className);
  if (!cls) {
    report(file, `no class ${className}`);
    return paths;
  }
  for (const member of cls.members) {
    if (!ts.isMethodDeclaration(member) || !member.body) continue;
    const name = member.name.getText();
    const where = `${className}.${name}`;
    const literal = generatedRequest(member);
    if (!literal) {
      if (member.body.getText().includes("httpClient.request")) {
        report(where, "calls the service, but not in a generated shape");
      }
      continue;
    }
    const request = fields(where, literal);
    const params = parametersOf(where, member);
    const method = request.get("method");
    const url = request.get("url");
    if (!method || !ts.isStringLiteral(method) || !url || !ts.isStringLiteral(url)) {
      report(where, "method or url is not a string literal");
      continue;
    }
    const operation = { operationId: name, parameters: [] };
    for (const key of request.keys()) {
      if (!["method", "url", "params", "data"].includes(key)) report(where, `request field ${key}`);
    }
    const query = request.get("params");
    if (query) {
      if (!ts.isObjectLiteralExpression(query)) report(where, "params is not an object literal");
      else {
        for (const [field, value] of fields(where, query)) {
          const param = params.get(value.getText());
          if (!param) {
            report(where, `query ${field} is not a parameter`);
            continue;
          }
          const schema = schemaOf(`${where}(${field})`, param.type);
          if (param.default !== undefined) schema.default = param.default;
          operation.parameters.push({ in: "query", name: field, required: !param.optional, schema });
        }
      }
    }
    // Path parameters: each `{name}` of the template, typed by the method's parameter of that
    // name (compared without case: `{credentialID}` is `credentialId`), a string where it has
    // none (reported). The SDK sends the template as it is; the service's path has a value there.
    for (const [, field] of url.text.matchAll(/\{([^}]+)\}/g)) {
      const key = [...params.keys()].find((k) => k.toLowerCase() === field.toLowerCase());
      let schema = { type: "string" };
      if (key) schema = schemaOf(`${where}(${field})`, params.get(key).type);
      else report(where, `path parameter ${field} is not a parameter: typed string`);
      operation.parameters.push({ in: "path", name: field, required: true, schema });
    }
    const data = request.get("data");
    if (data) {
      let schema;
      if (ts.isIdentifier(data) && params.has(data.text)) {
        schema = schemaOf(`${where}(body)`, params.get(data.text).type);
      } else if (ts.isObjectLiteralExpression(data)) {
        const properties = {};
        const required = [];
        for (const [field, value] of fields(where, data)) {
          const param = params.get(value.getText());
          if (!param) {
            report(where, `body field ${field} is not a parameter`);
            continue;
          }
          properties[field] = schemaOf(`${where}(${field})`, param.type);
          if (!param.optional) required.push(field);
        }
        schema = { properties, type: "object" };
        if (required.length) schema.required = required;
      } else {
        report(where, `data \`${data.getText()}\``);
      }
      if (schema) operation.requestBody = { content: { "application/json": { schema } }, required: true };
    }
    const returns = member.type;
    if (returns && ts.isTypeReferenceNode(returns) && returns.typeName.getText() === "Promise" && returns.typeArguments?.length === 1) {
      operation.responses = {
        200: { content: { "application/json": { schema: schemaOf(`${where}(answer)`, returns.typeArguments[0]) } } },
      };
    } else {
      report(where, "no declared Promise<answer> type");
      operation.responses = { 200: {} };
    }
    const verb = method.text.toLowerCase();
    paths[url.text] ??= {};
    if (paths[url.text][verb]) {
      report(where, `${method.text} ${url.text} is also ${paths[url.text][verb].operationId}`);
      continue;
    }
    paths[url.text][verb] = operation;
  }
  return paths;
}

// The schemas a document's operations reach, each once.
function document(title, paths) {
  const schemas = {};
  const pending = [];
  const visit = (value) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (k === "$ref") pending.push(v.replace("#/components/schemas/", ""));
        else visit(v);
      }
    }
  };
  visit(paths);
  while (pending.length) {
    const name = pending.pop();
    if (schemas[name]) continue;
    const { node, file } = declarations.get(name);
    schemas[name] = schemaOf(`models/${file}`, node);
    visit(schemas[name]);
  }
  return {
    components: { schemas },
    info: { title, version: "3.0" },
    openapi: "3.0.0",
    paths,
  };
}

const authentication = document(
  "GenAuth/Authing V3 authentication API, 2024 (structure only, derived from the official Node SDK)",
  operationsOf("AuthenticationClient", "AuthenticationClient.ts"),
);
const management = document(
  "GenAuth/Authing V3 management API, 2024 (structure only, derived from the official Node SDK)",
  operationsOf("ManagementClient", "ManagementClient.ts"),
);
const used = new Set([...Object.keys(authentication.components.schemas), ...Object.keys(management.components.schemas)]);
for (const name of [...declarations.keys()].sort()) {
  if (!used.has(name)) report(`models/${declarations.get(name).file}`, `${name} is used by no operation`);
}
process.stdout.write(
  JSON.stringify({
    source: `${sdkPackage.name}@${sdkPackage.version}`,
    typescript: ts.version,
    authentication,
    management,
    // A model reached by both clients is mapped (and reported) twice: once each.
    unmapped: [...new Set(unmapped)],
  }),
);
