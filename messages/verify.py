"""Texts of the verifier (``verificar``, ``integrity.verify`` and the browser page).

The library records message keys and parameters; the CLI and the page turn them into text,
so results stay machine-readable and both say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    # --- the four checks and their statuses
    "check.integrity": {"es": "integridad", "en": "integrity"},
    "check.inclusion": {"es": "inclusión", "en": "inclusion"},
    "check.anchor": {"es": "anclaje", "en": "anchor"},
    "check.publisher": {"es": "publicador", "en": "publisher"},
    "status.ok": {"es": "OK", "en": "OK"},
    "status.fail": {"es": "FALLA", "en": "FAIL"},
    "status.skipped": {"es": "OMITIDA", "en": "SKIPPED"},
    # --- headers and verdicts
    "header.day": {
        "es": "Verificando {dataset} del {date} ({target})",
        "en": "Verifying {dataset} for {date} ({target})",
    },
    "header.target": {"es": "Verificando {target}", "en": "Verifying {target}"},
    "header.range": {
        "es": "Verificando {dataset} del {start} al {end} ({days} días publicados)",
        "en": "Verifying {dataset} from {start} to {end} ({days} published days)",
    },
    "header.proof": {
        "es": "Verificando la prueba de inclusión de la línea {leaf_index} de {dataset} del {date}",
        "en": "Verifying the inclusion proof of line {leaf_index} of {dataset} for {date}",
    },
    "verdict.verified": {
        "es": "Veredicto: VERIFICADO. Los datos coinciden con lo publicado y anclado.",
        "en": "Verdict: VERIFIED. The data matches what was published and anchored.",
    },
    "verdict.verified_offline": {
        "es": (
            "Veredicto: VERIFICADO SIN ANCLAJE. Los archivos coinciden con su manifiesto, pero "
            "el anclaje en la cadena no se comprobó (--offline)."
        ),
        "en": (
            "Verdict: VERIFIED WITHOUT ANCHOR. The files match their manifest, but the on-chain "
            "anchor was not checked (--offline)."
        ),
    },
    "verdict.failed": {
        "es": "Veredicto: ALTERADO O NO PUBLICADO. Falló: {checks}.",
        "en": "Verdict: ALTERED OR NOT PUBLISHED. Failed: {checks}.",
    },
    "verdict.incomplete": {
        "es": "Veredicto: NO SE PUDO COMPROBAR. Sin comprobar: {checks}.",
        "en": "Verdict: COULD NOT CHECK. Not checked: {checks}.",
    },
    "manual.call": {
        "es": (
            "Comprobación manual (cualquier nodo RPC de la cadena {chain_id}): eth_call "
            '{{"to": "{to}", "data": "{data}"}}; los primeros 32 bytes de la respuesta deben '
            "ser {digest} (SHA-256 del manifiesto)."
        ),
        "en": (
            "Manual check (any RPC node of chain {chain_id}): eth_call "
            '{{"to": "{to}", "data": "{data}"}}; the first 32 bytes of the answer must be '
            "{digest} (SHA-256 of the manifest)."
        ),
    },
    # --- locating the target
    "locate.not_found": {
        "es": "{path}: no existe",
        "en": "{path}: does not exist",
    },
    "locate.unknown_file": {
        "es": (
            "{path}: no es un archivo publicado (nombre como "
            "perucompras-ocam-2025-03-04-releases.jsonl), ni una prueba, ni una carpeta de día"
        ),
        "en": (
            "{path}: not a published file (named like "
            "perucompras-ocam-2025-03-04-releases.jsonl), a proof, or a day folder"
        ),
    },
    "locate.manifest_missing": {
        "es": (
            "no se encontró el manifiesto de {dataset} {date}: no está junto al archivo ni en el "
            "índice; indique la raíz de los datos con --datasets"
        ),
        "en": (
            "no manifest found for {dataset} {date}: it is neither next to the file nor in the "
            "index; give the datasets root with --datasets"
        ),
    },
    "locate.manifest_invalid": {
        "es": "manifiesto ilegible: {error}",
        "en": "unreadable manifest: {error}",
    },
    "locate.source_unavailable": {
        "es": "no se pudo leer {location}: {error}",
        "en": "could not read {location}: {error}",
    },
    "locate.digest_needs_index": {
        "es": "para buscar un digest sha256: indique la raíz de los datos con --datasets",
        "en": "to look up a sha256: digest, give the datasets root with --datasets",
    },
    "locate.digest_not_published": {
        "es": "ningún archivo publicado en el índice tiene el SHA-256 {digest}",
        "en": "no file published in the index has SHA-256 {digest}",
    },
    "locate.range_needs_index": {
        "es": "--range necesita el índice (index.json) de la raíz de los datos: use --datasets",
        "en": "--range needs the datasets root index (index.json): use --datasets",
    },
    # --- integrity
    "integrity.files_ok": {
        "es": "{count} archivo(s) coinciden con el manifiesto (SHA-256 y tamaño)",
        "en": "{count} file(s) match the manifest (SHA-256 and size)",
    },
    "integrity.hash_mismatch": {
        "es": "{file}: SHA-256 esperado {expected}, obtenido {actual}",
        "en": "{file}: expected SHA-256 {expected}, got {actual}",
    },
    "integrity.size_mismatch": {
        "es": "{file}: tamaño esperado {expected} bytes, obtenido {actual} bytes",
        "en": "{file}: expected {expected} bytes, got {actual} bytes",
    },
    "integrity.file_missing": {
        "es": "{file}: figura en el manifiesto pero falta",
        "en": "{file}: listed in the manifest but missing",
    },
    "integrity.not_in_manifest": {
        "es": "{file}: el manifiesto de {date} no lista ningún archivo con este nombre",
        "en": "{file}: the manifest for {date} lists no file with this name",
    },
    "integrity.unlisted_file": {
        "es": "{file}: está en la carpeta pero no en el manifiesto (no está protegido; ignórelo)",
        "en": "{file}: in the folder but not in the manifest (not protected; ignore it)",
    },
    "integrity.manifest_field": {
        "es": "manifiesto: {field} es {actual}, se esperaba {expected}",
        "en": "manifest: {field} is {actual}, expected {expected}",
    },
    "integrity.manifest_ok": {
        "es": "manifiesto de {date} legible y coherente (SHA-256 {digest})",
        "en": "manifest for {date} readable and consistent (SHA-256 {digest})",
    },
    "integrity.sums_mismatch": {
        "es": "{sums}: la línea de {file} dice {actual}, el manifiesto dice {expected}",
        "en": "{sums}: the line for {file} says {actual}, the manifest says {expected}",
    },
    "integrity.sums_ok": {
        "es": "{sums}: {count} línea(s) coinciden con el manifiesto",
        "en": "{sums}: {count} line(s) match the manifest",
    },
    "integrity.sums_malformed": {
        "es": "{sums}, línea {line}: formato inválido (se espera «<sha256>  <nombre>»)",
        "en": "{sums}, line {line}: malformed (expected '<sha256>  <name>')",
    },
    "integrity.digest_found": {
        "es": "{digest} es el SHA-256 publicado de {file} ({date})",
        "en": "{digest} is the published SHA-256 of {file} ({date})",
    },
    "integrity.proof_malformed": {
        "es": "prueba inválida: {error}",
        "en": "invalid proof: {error}",
    },
    "integrity.proof_line_not_canonical": {
        "es": "prueba: la línea no es JSON canónico (RFC 8785); fue editada o re-serializada",
        "en": "proof: the line is not canonical JSON (RFC 8785); it was edited or re-serialised",
    },
    "integrity.proof_ok": {
        "es": "prueba bien formada; línea JSON canónica de {ocid}",
        "en": "well-formed proof; canonical JSON line of {ocid}",
    },
    # --- inclusion
    "inclusion.ok": {
        "es": "raíz Merkle recalculada de {size} línea(s) de {file} coincide con el manifiesto",
        "en": "Merkle root recomputed from {size} line(s) of {file} matches the manifest",
    },
    "inclusion.size_mismatch": {
        "es": "{file}: el manifiesto dice {expected} líneas (treeSize), el archivo tiene {actual}",
        "en": "{file}: the manifest says {expected} lines (treeSize), the file has {actual}",
    },
    "inclusion.root_mismatch": {
        "es": "{file}: raíz Merkle esperada {expected}, recalculada {actual}",
        "en": "{file}: expected Merkle root {expected}, recomputed {actual}",
    },
    "inclusion.unterminated": {
        "es": "{file}: la última línea no termina en salto de línea (¿archivo truncado?)",
        "en": "{file}: the last line has no trailing newline (truncated file?)",
    },
    "inclusion.not_applicable": {
        "es": "no aplica a {file}: su SHA-256 está en el manifiesto",
        "en": "not applicable to {file}: its SHA-256 is in the manifest",
    },
    "inclusion.proof_ok": {
        "es": (
            "la línea {leaf_index} está en el árbol de {tree_size} hojas del manifiesto "
            "(raíz {root})"
        ),
        "en": "line {leaf_index} is in the manifest's tree of {tree_size} leaves (root {root})",
    },
    "inclusion.proof_failed": {
        "es": (
            "la ruta de auditoría no lleva de la línea {leaf_index} a la raíz {root} con el "
            "tamaño de árbol del manifiesto ({tree_size}); la línea o la ruta fueron alteradas"
        ),
        "en": (
            "the audit path does not lead from line {leaf_index} to root {root} with the "
            "manifest's tree size ({tree_size}); the line or the path was altered"
        ),
    },
    "inclusion.proof_tree_size_ignored": {
        "es": ("la prueba declara treeSize {claimed}, pero se usa el del manifiesto ({tree_size})"),
        "en": "the proof claims treeSize {claimed}, but the manifest's ({tree_size}) is used",
    },
    # --- anchor
    "anchor.ok": {
        "es": (
            "el SHA-256 del manifiesto ({digest}) está anclado bajo la clave {key} en el bloque "
            "{block} (cadena {chain_id})"
        ),
        "en": (
            "the manifest SHA-256 ({digest}) is anchored under key {key} in block {block} "
            "(chain {chain_id})"
        ),
    },
    "anchor.offline": {
        "es": "no comprobado: se pidió --offline",
        "en": "not checked: --offline was requested",
    },
    "anchor.digest_mismatch": {
        "es": (
            "el manifiesto tiene SHA-256 {actual}, pero lo anclado para {date} es {expected}: "
            "el manifiesto fue alterado o reemplazado"
        ),
        "en": (
            "the manifest hashes to {actual}, but the anchor for {date} is {expected}: the "
            "manifest was altered or replaced"
        ),
    },
    "anchor.record_mismatch": {
        "es": "{file}: {field} es {actual}, se esperaba {expected}",
        "en": "{file}: {field} is {actual}, expected {expected}",
    },
    "anchor.day_mismatch": {
        "es": "el contrato guarda el día {actual} bajo la clave de {expected}",
        "en": "the contract stores day {actual} under the key of {expected}",
    },
    "anchor.previous_mismatch": {
        "es": (
            "el anclaje de {date} enlaza con la clave {actual}, pero el manifiesto nombra como "
            "día anterior {previous_date} (clave {expected})"
        ),
        "en": (
            "the anchor for {date} links to key {actual}, but the manifest names "
            "{previous_date} (key {expected}) as the previous day"
        ),
    },
    "anchor.previous_manifest_mismatch": {
        "es": (
            "el manifiesto dice que el del {previous_date} tiene SHA-256 {expected}, pero el "
            "publicado tiene {actual}"
        ),
        "en": (
            "the manifest says the one for {previous_date} hashes to {expected}, but the "
            "published one hashes to {actual}"
        ),
    },
    "anchor.previous_manifest_ok": {
        "es": "enlace con el día anterior ({previous_date}) coherente",
        "en": "link to the previous day ({previous_date}) consistent",
    },
    "anchor.missing_on_chain": {
        "es": (
            "{file} dice que {date} se ancló en el bloque {block}, pero el contrato no tiene "
            "ningún anclaje bajo la clave {key}"
        ),
        "en": (
            "{file} says {date} was anchored in block {block}, but the contract has no anchor "
            "under key {key}"
        ),
    },
    "anchor.pending": {
        "es": (
            "el anclaje de {date} está en el bloque {block}, que aún no es definitivo; "
            "vuelva a verificar más tarde"
        ),
        "en": "the anchor for {date} is in block {block}, not final yet; verify again later",
    },
    "anchor.not_anchored": {
        "es": "{date} aún no está anclado (clave {key}); vuelva a verificar más tarde",
        "en": "{date} is not anchored yet (key {key}); verify again later",
    },
    "anchor.no_contract": {
        "es": "no se sabe qué contrato consultar: falta trust.json y el recibo de anclaje",
        "en": "no contract to query: neither trust.json nor the anchor receipt is available",
    },
    "anchor.chain_unreachable": {
        "es": "no se pudo consultar la cadena: {error}",
        "en": "could not query the chain: {error}",
    },
    "anchor.no_rpc": {
        "es": (
            "no hay nodo RPC para la cadena {chain_id}: indique uno con --rpc URL (o use --offline)"
        ),
        "en": "no RPC node for chain {chain_id}: give one with --rpc URL (or use --offline)",
    },
    "anchor.wrong_chain": {
        "es": "el nodo RPC es de la cadena {actual}, pero se esperaba la cadena {expected}",
        "en": "the RPC node serves chain {actual}, but chain {expected} was expected",
    },
    "anchor.replay": {
        "es": (
            "{date} reutiliza el contenido de {earlier} ({what} {value}): repetición de un "
            "día anterior"
        ),
        "en": "{date} reuses the content of {earlier} ({what} {value}): replay of an earlier day",
    },
    # --- publisher
    "publisher.ok": {
        "es": "contrato {contract} y publicador {publisher} (cadena {chain_id}) coinciden con {trust}",
        "en": "contract {contract} and publisher {publisher} (chain {chain_id}) match {trust}",
    },
    "publisher.offline_partial": {
        "es": "el publicador registrado en el contrato no se leyó (--offline)",
        "en": "the publisher stored in the contract was not read (--offline)",
    },
    "publisher.no_trust": {
        "es": (
            "sin trust.json no se puede saber qué contrato y publicador son los oficiales: use "
            "--datasets (raíz con trust.json) o --trust ARCHIVO"
        ),
        "en": (
            "without trust.json the official contract and publisher are unknown: use "
            "--datasets (a root with trust.json) or --trust FILE"
        ),
    },
    "publisher.mismatch": {
        "es": "{source}: {field} es {actual}, pero {trust} fija {expected}",
        "en": "{source}: {field} is {actual}, but {trust} pins {expected}",
    },
    "publisher.trust_invalid": {
        "es": "{trust} ilegible: {error}",
        "en": "{trust} unreadable: {error}",
    },
    # --- range
    "range.gap": {
        "es": "{date} enlaza con {previous_date}, que no está publicado: falta un día",
        "en": "{date} links to {previous_date}, which is not published: a day is missing",
    },
    "range.unlinked": {
        "es": (
            "{date} enlaza con {previous_date}, pero el día publicado anterior es {expected}: "
            "la cadena de días está rota"
        ),
        "en": (
            "{date} links to {previous_date}, but the previous published day is {expected}: "
            "the chain of days is broken"
        ),
    },
    "range.folder_missing": {
        "es": "{date} figura en el índice pero sus archivos no están ({error})",
        "en": "{date} is listed in the index but its files are missing ({error})",
    },
    "range.swap": {
        "es": "la carpeta de {date} contiene el manifiesto de {actual}: días intercambiados",
        "en": "the folder for {date} holds the manifest for {actual}: swapped days",
    },
    "range.empty": {
        "es": "ningún día publicado entre {start} y {end}",
        "en": "no published day between {start} and {end}",
    },
    "range.ok": {
        "es": "{days} día(s) encadenados sin huecos, intercambios ni repeticiones",
        "en": "{days} day(s) chained without gaps, swaps or replays",
    },
    # --- the browser page (integrity/web/verificar.html): its own texts, and page wordings
    # of two locate.* messages (the page has no --datasets: it reads the site's index.json)
    "page.title": {
        "es": "Verificar datos abiertos de PERÚ COMPRAS",
        "en": "Verify PERÚ COMPRAS open data",
    },
    "page.intro": {
        "es": (
            "Arrastre aquí un archivo descargado (JSON, JSONL, Parquet, CSV, manifiesto, "
            "SHA256SUMS, anclaje) o una prueba de inclusión (JSON). Se calcula su SHA-256 en su "
            "navegador, se compara con el manifiesto del día, se recalcula la raíz de Merkle y "
            "se consulta el anclaje en la cadena con una llamada eth_call. Nada se envía a "
            "ningún servidor salvo esa llamada."
        ),
        "en": (
            "Drop a downloaded file here (JSON, JSONL, Parquet, CSV, manifest, SHA256SUMS, "
            "anchor) or an inclusion proof (JSON). Its SHA-256 is computed in your browser, "
            "compared with the day's manifest, the Merkle root is recomputed and the on-chain "
            "anchor is read with one eth_call. Nothing is sent anywhere except that call."
        ),
    },
    "page.drop": {
        "es": "Suelte archivos aquí o haga clic para elegirlos",
        "en": "Drop files here or click to choose them",
    },
    "page.rpc": {
        "es": "Nodo RPC de la cadena",
        "en": "Chain RPC node",
    },
    "page.trust": {
        "es": "Confianza fijada (trust.json)",
        "en": "Pinned trust (trust.json)",
    },
    "page.trust_missing": {
        "es": "No se encontró trust.json: no se puede comprobar el publicador.",
        "en": "trust.json not found: the publisher cannot be checked.",
    },
    "page.trust_line": {
        "es": "cadena {chain_id} · contrato {contract} · publicador {publisher}",
        "en": "chain {chain_id} · contract {contract} · publisher {publisher}",
    },
    "page.lang": {
        "es": "English",
        "en": "Español",
    },
    "page.working": {
        "es": "Verificando {file}…",
        "en": "Verifying {file}…",
    },
    "page.hashed": {
        "es": "{file}: {size} bytes, SHA-256 {digest} ({ms} ms, {rate} MB/s, {method})",
        "en": "{file}: {size} bytes, SHA-256 {digest} ({ms} ms, {rate} MB/s, {method})",
    },
    "page.limit": {
        "es": (
            "Hasta {limit} MB se calcula con WebCrypto en una sola llamada; archivos mayores se "
            "procesan por partes (más lento, sin límite de tamaño)."
        ),
        "en": (
            "Up to {limit} MB is hashed with one WebCrypto call; larger files are processed in "
            "chunks (slower, no size limit)."
        ),
    },
    "page.manual": {
        "es": "Comprobación manual",
        "en": "Manual check",
    },
    "page.identified": {
        "es": "{file} se identificó por su SHA-256 como {name}",
        "en": "{file} was identified by its SHA-256 as {name}",
    },
    "page.index_missing": {
        "es": (
            "no se pudo leer index.json junto a esta página ({error}): sírvala desde la raíz de "
            "los datos publicados"
        ),
        "en": (
            "could not read index.json next to this page ({error}): serve it from the root of "
            "the published data"
        ),
    },
    "page.locate.manifest_missing": {
        "es": (
            "no se encontró el manifiesto de {dataset} {date} en el índice (index.json) de este "
            "sitio: ese día no está publicado aquí"
        ),
        "en": (
            "no manifest for {dataset} {date} in this site's index (index.json): that day is not "
            "published here"
        ),
    },
    "page.locate.unknown_file": {
        "es": (
            "{path}: no es un archivo publicado (nombre como "
            "perucompras-ocam-2025-03-04-releases.jsonl) ni una prueba, y ningún manifiesto "
            "publicado contiene su SHA-256"
        ),
        "en": (
            "{path}: not a published file (named like "
            "perucompras-ocam-2025-03-04-releases.jsonl) nor a proof, and no published manifest "
            "lists its SHA-256"
        ),
    },
    # --- dev chain
    "synthetic.note": {
        "es": (
            'Nota: estos datos son SINTÉTICOS (el manifiesto dice "synthetic": true): '
            "órdenes generadas con el formato real para probar la publicación, no compras reales."
        ),
        "en": (
            'Note: this data is SYNTHETIC (the manifest says "synthetic": true): orders '
            "generated in the real format to exercise the publication, not real purchases."
        ),
    },
    "devchain.warning": {
        "es": (
            "AVISO: este resultado proviene de la cadena local de desarrollo (anvil). "
            "Demuestra que el procedimiento de anclaje funciona, pero NO prueba que los datos "
            "no hayan sido alterados: quien pueda editar el archivo de estado de la cadena "
            "puede reescribir toda su historia. Para evidencia de integridad, verifique contra "
            "una cadena pública."
        ),
        "en": (
            "WARNING: this result comes from the local development chain (anvil). It shows "
            "that the anchoring code path works, but it is NOT tamper evidence: whoever can "
            "edit the chain's state file can rewrite its whole history. For integrity evidence, "
            "verify against a public chain."
        ),
    },
    # --- CLI
    "cli.description": {
        "es": (
            "Verifica archivos de datos abiertos de PERÚ COMPRAS: integridad, inclusión, "
            "anclaje y publicador. Salida: 0 verificado, 1 alterado o no publicado, "
            "2 no se pudo comprobar."
        ),
        "en": (
            "Verify PERÚ COMPRAS open-data files: integrity, inclusion, anchor and "
            "publisher. Exit: 0 verified, 1 altered or not published, 2 could not check."
        ),
    },
    "cli.help_path": {
        "es": "carpeta de día, archivo publicado, prueba o sha256:<hex>",
        "en": "day folder, published file, proof file or sha256:<hex>",
    },
    "cli.help_datasets": {
        "es": "raíz de los datos (carpeta o URL) con index.json",
        "en": "datasets root (folder or URL) with index.json",
    },
    "cli.help_trust": {
        "es": "trust.json que fija cadena, contrato y publicador",
        "en": "trust.json to pin chain, contract and publisher",
    },
    "cli.help_rpc": {
        "es": "URL JSON-RPC de un nodo de la cadena",
        "en": "JSON-RPC URL of a chain node",
    },
    "cli.help_devchain": {
        "es": "carpeta de estado de la cadena de desarrollo (por omisión: .devchain)",
        "en": "dev chain state folder (default: .devchain)",
    },
    "cli.help_offline": {"es": "no consultar la cadena", "en": "do not query the chain"},
    "cli.help_json": {"es": "salida legible por máquinas (JSON)", "en": "machine-readable output"},
    "cli.help_lang": {"es": "idioma de la salida", "en": "output language"},
    "cli.help_range": {
        "es": "verificar todos los días publicados entre dos fechas AAAA-MM-DD",
        "en": "verify every published day between two YYYY-MM-DD dates",
    },
    "cli.error": {"es": "error: {error}", "en": "error: {error}"},
    "cli.bad_date": {
        "es": "{value}: se espera una fecha AAAA-MM-DD",
        "en": "{value}: expected a YYYY-MM-DD date",
    },
    "cli.devchain_unavailable": {
        "es": "no se pudo iniciar la cadena local de desarrollo: {error}",
        "en": "could not start the local development chain: {error}",
    },
}
