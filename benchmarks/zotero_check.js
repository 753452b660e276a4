#!/usr/bin/env node
// Runs one of Zotero's import translators in node over files, as Zotero's file import would,
// and prints the items Zotero would store, one JSON object per input file per line:
//   node zotero_check.js --translators DIR --utilities DIR --schema FILE TRANSLATOR INPUT...
// DIR/TRANSLATOR is the translator (e.g. "BibTeX.js"); --utilities is a checkout of
// zotero/utilities and --schema zotero-schema's schema.json. Nothing of Zotero's is copied here:
// the translator and Zotero's own utility functions (dates, names, CSL mapping, item types) are
// read from those paths. What this file writes itself is the small part of the Zotero API the
// translator sandbox gives a translator (reading the input, items, options, debug) and the
// clean-up Zotero applies to a completed item before it is stored (empty values dropped,
// strings trimmed, tags as {tag}, fields the item type does not have left out), which is
// what Zotero's own translator tests compare against their expected items.
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");

function parseArgs(argv) {
	const options = { inputs: [] };
	for (let i = 0; i < argv.length; i++) {
		const name = argv[i];
		if (name === "--translators" || name === "--utilities" || name === "--schema") {
			options[name.slice(2)] = argv[++i];
		}
		else if (!options.translator) {
			options.translator = name;
		}
		else {
			options.inputs.push(name);
		}
	}
	for (const needed of ["translators", "utilities", "schema", "translator"]) {
		if (!options[needed]) {
			process.stderr.write(`zotero_check: --${needed} is missing\n`);
			process.exit(2);
		}
	}
	return options;
}

// Zotero's utilities expect a global Zotero with its schema, dates and item types loaded.
function loadUtilities(utilitiesDir, schemaFile) {
	globalThis.Zotero = { locale: "en-US", isNode: true, debug: () => {} };
	const Zotero = globalThis.Zotero;
	Zotero.Schema = require(path.resolve(utilitiesDir, "schema.js"));
	Zotero.Utilities = require(path.resolve(utilitiesDir, "utilities.js"));
	Zotero.Utilities.Item = require(path.resolve(utilitiesDir, "utilities_item.js"));
	Zotero.Date = require(path.resolve(utilitiesDir, "date.js"));
	Zotero.Schema.init(fs.readFileSync(schemaFile, "utf-8"));
	Zotero.Date.init(fs.readFileSync(path.resolve(utilitiesDir, "resource", "dateFormats.json"),
		"utf-8"));
	const cachedTypes = require(path.resolve(utilitiesDir, "cachedTypes.js"));
	cachedTypes.setTypeSchema(require(path.resolve(utilitiesDir, "resource",
		"zoteroTypeSchemaData.js")));
	Object.assign(Zotero, cachedTypes);
	const collator = new Intl.Collator(["en-US"], { numeric: true, sensitivity: "base" });
	Zotero.localeCompare = (a, b) => collator.compare(a, b);
	return Zotero;
}

// ZU in a translator is Zotero.Utilities with the item and date helpers beside it, as the
// translation sandbox puts them together.
function translatorUtilities(Zotero) {
	const ZU = Object.assign({}, Zotero.Utilities, Zotero.Utilities.Item);
	ZU.strToDate = Zotero.Date.strToDate.bind(Zotero.Date);
	ZU.strToISO = Zotero.Date.strToISO.bind(Zotero.Date);
	ZU.formatDate = Zotero.Date.formatDate.bind(Zotero.Date);
	ZU.getVersion = () => "7.0";
	// Zotero's own unescapeHTML needs a DOM (jsdom in node): entities are enough for files.
	ZU.unescapeHTML = unescapeEntities;
	return ZU;
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: "\u00a0" };

function unescapeEntities(text) {
	return String(text).replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, name) => {
		if (name[0] === "#") {
			const code = name[1] === "x" || name[1] === "X"
				? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
			return String.fromCodePoint(code);
		}
		return ENTITIES[name.toLowerCase()] || entity;
	});
}

// Input as Zotero's string reader gives it: read(n) the next n characters, read() the next
// line without its line ending, false once everything was read.
function makeReader(text) {
	let position = 0;
	return function read(count) {
		if (position >= text.length) return false;
		if (count !== undefined) {
			const piece = text.substr(position, count);
			position += count;
			return piece;
		}
		const newline = text.indexOf("\n", position);
		const start = position;
		if (newline === -1) {
			position = text.length;
			return text.substr(start);
		}
		position = newline + 1;
		const end = newline > start && text[newline - 1] === "\r" ? newline - 1 : newline;
		return text.substring(start, end);
	};
}

// The clean-up of a completed item: what Zotero keeps of what a translator set.
const OBJECT_FIELDS = new Set(["attachments", "creators", "tags", "notes", "relations", "seeAlso"]);
const NOT_FIELDS = new Set(["notes", "itemID", "attachments", "tags", "seeAlso", "itemType",
	"creators", "relations"]);

function stored(Zotero, item) {
	const kept = {};
	for (const name of Object.keys(item)) {
		const value = item[name];
		if (!value && value !== 0) continue;
		if (typeof value === "function") continue;
		const isObject = typeof value === "object";
		if (isObject && !OBJECT_FIELDS.has(name)) kept[name] = String(value);
		else if (!isObject && OBJECT_FIELDS.has(name)) kept[name] = [value];
		else kept[name] = typeof value === "string" ? value.trim() : value;
	}
	if (kept.title && (kept.itemType === "book" || kept.itemType === "bookSection")) {
		kept.title = kept.title.replace(/\s*:\s*a novel\s*$/i, "");
	}
	if (kept.title && kept.title === kept.shortTitle) delete kept.shortTitle;
	if (kept.creators) {
		// creatorTypeID is the CSL mapping's own bookkeeping; Zotero stores the type's name.
		kept.creators = kept.creators.filter(c => c && (c.firstName || c.lastName))
			.map(({ creatorTypeID, ...creator }) => creator);
	}
	kept.tags = (kept.tags || []).map(tag => (typeof tag === "object" ? tag.tag || tag.name : tag))
		.filter(Boolean).map(tag => ({ tag: String(tag) }));
	kept.notes = (kept.notes || []).filter(Boolean)
		.map(note => (typeof note === "object" ? note : { note: String(note) }));
	const typeID = Zotero.ItemTypes.getID(kept.itemType);
	for (const name of Object.keys(kept)) {
		if (NOT_FIELDS.has(name)) continue;
		const fieldID = Zotero.ItemFields.getID(name);
		if (!fieldID || !kept[name] || !typeID) {
			delete kept[name];
			continue;
		}
		// A base field (publicationTitle) stored as the type's own (bookTitle, university).
		const own = Zotero.ItemFields.getFieldIDFromTypeAndBase(typeID, fieldID);
		if (own && own !== fieldID) {
			kept[Zotero.ItemFields.getName(own)] = kept[name];
			delete kept[name];
		}
		else if (!Zotero.ItemFields.isValidForType(fieldID, typeID)) {
			delete kept[name];
		}
	}
	delete kept.accessDate;
	if (kept.date) {
		// How Zotero understands the date it stores as text (its sort date), for comparison.
		const parsed = Zotero.Date.strToDate(kept.date);
		kept._parsedDate = { year: parsed.year, month: parsed.month, day: parsed.day };
	}
	return JSON.parse(JSON.stringify(kept));
}

// The translator's code: its file less the JSON header that opens it.
function translatorCode(file) {
	const source = fs.readFileSync(file, "utf-8");
	const headerEnd = source.indexOf("\n}\n");
	return source.slice(headerEnd + 3);
}

async function importFile(Zotero, ZU, code, text) {
	const items = [];
	const sandboxZotero = {
		read: makeReader(text.replace(/^\uFEFF/, "")),
		debug: () => {},
		getOption: () => undefined,
		getHiddenPref: () => undefined,
		setProgress: () => {},
		parentTranslator: undefined,
		Utilities: ZU,
	};
	sandboxZotero.Item = class {
		constructor(itemType) {
			this.itemType = itemType;
			this.creators = [];
			this.notes = [];
			this.tags = [];
			this.seeAlso = [];
			this.attachments = [];
		}

		complete() {
			items.push(stored(Zotero, this));
		}
	};
	sandboxZotero.Collection = class {
		complete() {}
	};
	const context = vm.createContext({ Zotero: sandboxZotero, Z: sandboxZotero, ZU: ZU });
	vm.runInContext(code, context);
	await context.doImport();
	return items;
}

async function main() {
	const options = parseArgs(process.argv.slice(2));
	const Zotero = loadUtilities(options.utilities, options.schema);
	const ZU = translatorUtilities(Zotero);
	const code = translatorCode(path.resolve(options.translators, options.translator));
	for (const input of options.inputs) {
		const text = fs.readFileSync(input, "utf-8");
		let result;
		try {
			result = { file: input, items: await importFile(Zotero, ZU, code, text) };
		}
		catch (error) {
			result = { file: input, error: String(error && error.stack || error) };
		}
		process.stdout.write(JSON.stringify(result) + "\n");
	}
}

main().catch((error) => {
	process.stderr.write(`zotero_check: ${error && error.stack || error}\n`);
	process.exit(1);
});
