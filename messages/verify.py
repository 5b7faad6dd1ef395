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
    "header.bulk": {
        "es": "Verificando los archivos masivos {dataset} hasta el {date} ({target})",
        "en": "Verifying the bulk files {dataset} up to {date} ({target})",
    },
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
            "Veredicto: ÍNTEGRO; ANCLAJE NO COMPROBADO. Los archivos coinciden con su "
            "manifiesto, pero no se consultó la cadena: no está comprobado que ese manifiesto "
            "sea el publicado ni quién lo publicó (código de salida 3)."
        ),
        "en": (
            "Verdict: INTACT; ANCHOR NOT CHECKED. The files match their manifest, but the "
            "chain was not queried: it is not checked that this manifest is the published one, "
            "nor who published it (exit code 3)."
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
            '{{"to": "{to}", "data": "{data}"}} (latest_entry del conjunto y el día); la '
            "quinta palabra de 32 bytes de la respuesta debe ser {digest} (SHA-256 del "
            "manifiesto)."
        ),
        "en": (
            "Manual check (any RPC node of chain {chain_id}): eth_call "
            '{{"to": "{to}", "data": "{data}"}} (latest_entry of the dataset and day); the '
            "fifth 32-byte word of the answer must be {digest} (SHA-256 of the manifest)."
        ),
    },
    # --- which trust pin decided the verdict (every verdict says it)
    "pin.used.argument": {
        "es": (
            "Pin de confianza: {origin} (indicado con --trust): cadena {chain_id}, contrato "
            "{contract}, publicador {publisher}."
        ),
        "en": (
            "Trust pin: {origin} (given with --trust): chain {chain_id}, contract {contract}, "
            "publisher {publisher}."
        ),
    },
    "pin.used.installed": {
        "es": (
            "Pin de confianza oficial «{name}», instalado con el verificador: cadena {chain_id}, "
            "contrato {contract}, publicador {publisher}."
        ),
        "en": (
            "Official trust pin '{name}', installed with the verifier: chain {chain_id}, "
            "contract {contract}, publisher {publisher}."
        ),
    },
    "pin.used.devchain": {
        "es": (
            "Pin de la cadena local de desarrollo ({origin}): cadena {chain_id}, contrato "
            "{contract}, publicador {publisher}."
        ),
        "en": (
            "Pin of the local development chain ({origin}): chain {chain_id}, contract "
            "{contract}, publisher {publisher}."
        ),
    },
    "pin.used.page": {
        "es": (
            "Pin incorporado en esta página cuando se publicó: cadena {chain_id}, contrato "
            "{contract}, publicador {publisher}."
        ),
        "en": (
            "Pin built into this page when it was published: chain {chain_id}, contract "
            "{contract}, publisher {publisher}."
        ),
    },
    "pin.used.data": {
        "es": (
            "Pin tomado de {origin}, que viene con los datos descargados: es una copia, no una "
            "autoridad (compárelo con el pin oficial): cadena {chain_id}, contrato {contract}, "
            "publicador {publisher}."
        ),
        "en": (
            "Pin taken from {origin}, which came with the downloaded data: a copy, not an "
            "authority (compare it with the official pin): chain {chain_id}, contract "
            "{contract}, publisher {publisher}."
        ),
    },
    "pin.none": {
        "es": (
            "Sin pin de confianza: no se sabe qué cadena, contrato y publicador son los "
            "oficiales, así que nada puede quedar VERIFICADO. Obtenga el pin oficial (se "
            "instala con el verificador, o PERÚ COMPRAS lo publica fuera de los datos) y use "
            "--trust ARCHIVO."
        ),
        "en": (
            "No trust pin: the official chain, contract and publisher are unknown, so nothing "
            "can be VERIFIED. Get the official pin (installed with the verifier, or published "
            "by PERÚ COMPRAS outside the data) and use --trust FILE."
        ),
    },
    # --- unsafe, unusual or oversized input (never opened, followed or read past a limit)
    "input.unsafe_name": {
        "es": (
            "«{name}» ({what}) no es un nombre de archivo simple (tiene «/», «\\», «..», es "
            "absoluto o tiene caracteres de control): apuntaría fuera de la carpeta y no se abre"
        ),
        "en": (
            "'{name}' ({what}) is not a plain file name (it has '/', '\\', '..', is absolute "
            "or has control characters): it would point outside the folder and is not opened"
        ),
    },
    "input.symlink": {
        "es": "{file}: es un enlace simbólico; no se sigue (ponga el archivo real en su lugar)",
        "en": "{file}: is a symbolic link; it is not followed (put the real file in its place)",
    },
    "input.fifo": {
        "es": "{file}: es una tubería (FIFO), no un archivo; no se lee",
        "en": "{file}: is a pipe (FIFO), not a file; it is not read",
    },
    "input.device": {
        "es": "{file}: es un dispositivo (como /dev/zero), no un archivo; no se lee",
        "en": "{file}: is a device (like /dev/zero), not a file; it is not read",
    },
    "input.not_regular": {
        "es": "{file}: no es un archivo normal; no se lee",
        "en": "{file}: is not a regular file; it is not read",
    },
    "input.unreadable": {
        "es": "{file}: no se pudo leer (permisos o error de disco)",
        "en": "{file}: could not be read (permissions or a disk error)",
    },
    "input.too_large": {
        "es": "{file}: supera el máximo de {limit} para este tipo de archivo; no se procesa",
        "en": "{file}: exceeds the {limit} maximum for this kind of file; it is not processed",
    },
    "input.too_many_proofs": {
        "es": "{file}: contiene más de {limit} pruebas; divídalo en archivos más pequeños",
        "en": "{file}: holds more than {limit} proofs; split it into smaller files",
    },
    # --- downloads (technical detail only with --verbose or --json)
    "source.timeout": {
        "es": (
            "{location}: el servidor no terminó de enviar el archivo en {seconds} s (use "
            "--timeout para esperar más)"
        ),
        "en": (
            "{location}: the server did not finish sending the file within {seconds} s (use "
            "--timeout to wait longer)"
        ),
    },
    "source.stalled": {
        "es": "{location}: el servidor dejó de enviar datos",
        "en": "{location}: the server stopped sending data",
    },
    "source.no_connection": {
        "es": "no se pudo conectar con {host}",
        "en": "could not connect to {host}",
    },
    "source.broken": {
        "es": "{location}: la conexión se cortó o la respuesta no es HTTP válida",
        "en": "{location}: the connection broke or the answer is not valid HTTP",
    },
    "source.http_status": {
        "es": "{location}: el servidor respondió con el código HTTP {status}",
        "en": "{location}: the server answered with HTTP status {status}",
    },
    "source.bad_redirect": {
        "es": "{location}: redirección no válida o demasiadas redirecciones",
        "en": "{location}: invalid redirect or too many redirects",
    },
    # --- malformed data that comes with the download
    "manifest.invalid": {
        "es": (
            "{file}: el manifiesto no tiene el formato publicado (campo {field}); no se puede "
            "comprobar el día"
        ),
        "en": (
            "{file}: the manifest is not in the published format (field {field}); the day "
            "cannot be checked"
        ),
    },
    "index.not_json": {
        "es": "{file}: no es JSON válido; no se puede usar el índice de los datos",
        "en": "{file}: not valid JSON; the datasets index cannot be used",
    },
    "index.no_days": {
        "es": "{file}: no contiene la lista de días publicados («days»)",
        "en": "{file}: does not hold the list of published days ('days')",
    },
    "index.entry_malformed": {
        "es": "index.json, entrada {position} ({date}): mal formada (campo {field}); se omite",
        "en": "index.json, entry {position} ({date}): malformed (field {field}); skipped",
    },
    "index.entry_bad_date": {
        "es": (
            "index.json, entrada {position}: «{date}» no es una fecha del calendario: ese día "
            "no puede estar publicado"
        ),
        "en": (
            "index.json, entry {position}: '{date}' is not a calendar date: that day cannot "
            "have been published"
        ),
    },
    "index.entry_unsafe": {
        "es": (
            "index.json, entrada {position} ({date}): {field} «{value}» apunta fuera de la raíz "
            "de los datos; no se abre"
        ),
        "en": (
            "index.json, entry {position} ({date}): {field} '{value}' points outside the "
            "datasets root; it is not opened"
        ),
    },
    "index.duplicate": {
        "es": "index.json, entrada {position}: {date} aparece dos veces; se usa la primera",
        "en": "index.json, entry {position}: {date} appears twice; the first one is used",
    },
    # --- days that no registry can hold
    "day.not_a_date": {
        "es": (
            "«{date}» no es una fecha del calendario: ningún registro puede tener ese día "
            "(no publicado)"
        ),
        "en": "'{date}' is not a calendar date: no registry can hold that day (not published)",
    },
    "day.outside_registry": {
        "es": (
            "{date} está fuera de los días que el registro acepta ({first} a {last}): no publicado"
        ),
        "en": "{date} is outside the days the registry accepts ({first} to {last}): not published",
    },
    "day.before_history": {
        "es": "{date} es anterior al inicio de la historia del conjunto ({start}): no publicado",
        "en": "{date} is before the start of the dataset's history ({start}): not published",
    },
    "day.not_over": {
        "es": (
            "{date} aún no había terminado al comprobar (hoy en Lima: {today}) y un día solo se "
            "publica cuando termina: no publicado"
        ),
        "en": (
            "{date} was not over at the time of the check (today in Lima: {today}) and a day is "
            "only published once it is over: not published"
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
        "es": "manifiesto ilegible",
        "en": "unreadable manifest",
    },
    "locate.unknown_file_no_root": {
        "es": (
            "{path}: no es un nombre de archivo publicado ni una prueba; para buscarlo por su "
            "SHA-256 indique la raíz de los datos con --datasets"
        ),
        "en": (
            "{path}: not a published file name nor a proof; to look it up by its SHA-256, give "
            "the datasets root with --datasets"
        ),
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
        "es": (
            "{file}: está en la carpeta pero no forma parte de lo publicado (el manifiesto no lo "
            "lista); no lo use como dato oficial"
        ),
        "en": (
            "{file}: in the folder but not part of what was published (the manifest does not "
            "list it); do not use it as official data"
        ),
    },
    "integrity.longer": {
        "es": (
            "{file}: tiene más de los {expected} bytes publicados (no se leyó más allá; su "
            "SHA-256 no se calculó)"
        ),
        "en": (
            "{file}: has more than the {expected} bytes published (nothing past them was read; "
            "its SHA-256 was not computed)"
        ),
    },
    "integrity.sums_missing": {
        "es": "{sums}: falta la línea de {file} (debe listar exactamente los archivos publicados)",
        "en": "{sums}: the line for {file} is missing (it must list exactly the published files)",
    },
    "integrity.sums_duplicate": {
        "es": "{sums}, línea {line}: {file} aparece dos veces",
        "en": "{sums}, line {line}: {file} appears twice",
    },
    "integrity.sums_absent": {
        "es": "{sums} no está en la carpeta (es opcional: el manifiesto es la autoridad)",
        "en": "{sums} is not in the folder (it is optional: the manifest is the authority)",
    },
    "integrity.identified": {
        "es": "{file} se identificó por su SHA-256 como {name}",
        "en": "{file} was identified by its SHA-256 as {name}",
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
        "es": "la prueba (línea {line}) no es válida: «{detail}» falta o no tiene el formato",
        "en": "the proof (line {line}) is not valid: '{detail}' is missing or malformed",
    },
    "integrity.proof_line_not_canonical": {
        "es": "prueba: la línea no es JSON canónico (RFC 8785); fue editada o re-serializada",
        "en": "proof: the line is not canonical JSON (RFC 8785); it was edited or re-serialised",
    },
    "integrity.proof_ok": {
        "es": "prueba bien formada; línea JSON canónica de {ocid}",
        "en": "well-formed proof; canonical JSON line of {ocid}",
    },
    # --- what differs, in plain words (the verdict stays FALLA: any changed byte is a change)
    "explain.not_compared": {
        "es": "{file}: no se pudo comparar con lo publicado (demasiado grande o ilegible)",
        "en": "{file}: could not be compared with what was published (too large or unreadable)",
    },
    "explain.binary": {
        "es": (
            "{file}: es un archivo binario: cualquier byte cambiado lo altera y no se puede "
            "mostrar qué cambió; descárguelo de nuevo del sitio oficial"
        ),
        "en": (
            "{file}: a binary file: any changed byte alters it and what changed cannot be "
            "shown; download it again from the official site"
        ),
    },
    "explain.no_reference": {
        "es": (
            "{file}: no hay a mano una copia auténtica de lo publicado para comparar línea por "
            "línea (indique el sitio oficial con --datasets)"
        ),
        "en": (
            "{file}: no authentic copy of what was published is at hand to compare line by "
            "line (give the official site with --datasets)"
        ),
    },
    "explain.resaved_same_lines": {
        "es": (
            "{file}: el archivo fue re-guardado (fin de línea o BOM); sus {lines} líneas "
            "coinciden con lo publicado"
        ),
        "en": (
            "{file}: the file was re-saved (line endings or BOM); its {lines} lines match what "
            "was published"
        ),
    },
    "explain.reformatted_same_lines": {
        "es": (
            "{file}: las líneas fueron re-escritas (espacios u orden de claves); las {lines} "
            "releases coinciden con lo publicado"
        ),
        "en": (
            "{file}: the lines were re-written (spacing or key order); the {lines} releases "
            "match what was published"
        ),
    },
    "explain.cut": {
        "es": "{file}: termina a mitad de la línea {line}: descarga interrumpida",
        "en": "{file}: ends in the middle of line {line}: an interrupted download",
    },
    "explain.lines_reordered": {
        "es": "las mismas releases en otro orden (primera diferencia en la línea {line})",
        "en": "the same releases in another order (first difference at line {line})",
    },
    "explain.line_changed": {
        "es": (
            "línea {line} (release {release}): {field}: publicado «{published}», en este "
            "archivo «{found}»"
        ),
        "en": "line {line} (release {release}): {field}: published '{published}', here '{found}'",
    },
    "explain.line_added": {
        "es": "línea {line}: la release {release} no fue publicada (añadida)",
        "en": "line {line}: release {release} was not published (added)",
    },
    "explain.line_removed": {
        "es": "falta la release {release} (línea {line} de lo publicado)",
        "en": "release {release} is missing (line {line} of what was published)",
    },
    "explain.not_csv": {
        "es": "{file}: ya no se puede leer como CSV",
        "en": "{file}: can no longer be read as CSV",
    },
    "explain.resaved_same_rows": {
        "es": (
            "{file}: el archivo fue re-guardado (fin de línea, BOM, codificación, comillas o "
            "separador); sus {rows} filas de datos coinciden con lo publicado"
        ),
        "en": (
            "{file}: the file was re-saved (line endings, BOM, encoding, quotes or separator); "
            "its {rows} data rows match what was published"
        ),
    },
    "explain.rows_differ": {
        "es": (
            "{file}: los datos no coinciden con lo publicado ({rows} filas aquí, {published} "
            "publicadas); para ver qué fila y columna cambió, compárelo con el original: "
            "verificar ARCHIVO --datasets <sitio oficial>"
        ),
        "en": (
            "{file}: the data does not match what was published ({rows} rows here, "
            "{published} published); to see which row and column changed, compare it with the "
            "original: verificar FILE --datasets <official site>"
        ),
    },
    "explain.columns_changed": {
        "es": "las columnas cambiaron: publicado «{published}», en este archivo «{found}»",
        "en": "the columns changed: published '{published}', here '{found}'",
    },
    "explain.row_added": {
        "es": "fila {row} ({key}): no fue publicada (añadida)",
        "en": "row {row} ({key}): was not published (added)",
    },
    "explain.row_removed": {
        "es": "falta la fila publicada {row} ({key})",
        "en": "published row {row} ({key}) is missing",
    },
    "explain.row_count": {
        "es": "este archivo tiene {found} filas; se publicaron {published}",
        "en": "this file has {found} rows; {published} were published",
    },
    "explain.cell_changed": {
        "es": "fila {row}, columna {column}: publicado «{published}», en este archivo «{found}»",
        "en": "row {row}, column {column}: published '{published}', here '{found}'",
    },
    "explain.not_json": {
        "es": "{file}: ya no es JSON válido",
        "en": "{file}: no longer valid JSON",
    },
    "explain.reformatted_same_json": {
        "es": (
            "{file}: fue re-formateado (espacios u orden de claves); el contenido coincide con "
            "lo publicado"
        ),
        "en": "{file}: re-formatted (spacing or key order); the content matches what was published",
    },
    "explain.content_differs": {
        "es": (
            "{file}: el contenido difiere de lo publicado (indique el sitio oficial con "
            "--datasets para ver qué cambió)"
        ),
        "en": (
            "{file}: the content differs from what was published (give the official site with "
            "--datasets to see what changed)"
        ),
    },
    "explain.field_changed": {
        "es": "{file}: {field}: publicado «{published}», en este archivo «{found}»",
        "en": "{file}: {field}: published '{published}', here '{found}'",
    },
    "explain.more": {
        "es": "… y {count} diferencias más",
        "en": "… and {count} more differences",
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
    "inclusion.longer": {
        "es": "{file}: es más largo que lo publicado; la raíz Merkle no se recalculó",
        "en": "{file}: longer than what was published; the Merkle root was not recomputed",
    },
    "inclusion.not_checked": {
        "es": "{file}: no se pudo leer; la raíz Merkle no se recalculó",
        "en": "{file}: could not be read; the Merkle root was not recomputed",
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
            "el SHA-256 del manifiesto ({digest}) es la entrada n.º {seq} del registro, en el "
            "bloque {block} (cadena {chain_id})"
        ),
        "en": (
            "the manifest SHA-256 ({digest}) is registry entry no. {seq}, in block {block} "
            "(chain {chain_id})"
        ),
    },
    "anchor.kind_first": {
        "es": "primera publicación del día (el día tiene {count} entrada(s) en el registro)",
        "en": "first publication of the day (the day has {count} registry entry(ies))",
    },
    "anchor.kind_late": {
        "es": (
            "publicación tardía: el día se ancló después de días posteriores (el día tiene "
            "{count} entrada(s) en el registro)"
        ),
        "en": (
            "late publication: the day was anchored after later days (the day has {count} "
            "registry entry(ies))"
        ),
    },
    "anchor.kind_correction": {
        "es": (
            "corrección: la entrada n.º {seq} reemplaza a la n.º {supersedes}, que sigue "
            "legible en el registro (el día tiene {count} entradas)"
        ),
        "en": (
            "correction: entry no. {seq} replaces no. {supersedes}, which stays readable in the "
            "registry (the day has {count} entries)"
        ),
    },
    "anchor.kind_unknown": {
        "es": "entrada n.º {seq} de tipo desconocido ({kind}); el día tiene {count} entrada(s)",
        "en": "entry no. {seq} of unknown kind ({kind}); the day has {count} entry(ies)",
    },
    "anchor.superseded": {
        "es": (
            "este manifiesto se ancló para {date} (entrada n.º {seq}, bloque {block}), pero fue "
            "reemplazado por una corrección: la entrada vigente es la n.º {latest_seq} "
            "({expected}); descargue la versión corregida"
        ),
        "en": (
            "this manifest was anchored for {date} (entry no. {seq}, block {block}) but a "
            "correction replaced it: the current entry is no. {latest_seq} ({expected}); "
            "download the corrected version"
        ),
    },
    "anchor.pending_record": {
        "es": (
            "{file}: anclaje pendiente: el día se publicó cuando la cadena no respondía y aún "
            "no está en el registro; vuelva a verificar más tarde"
        ),
        "en": (
            "{file}: anchor pending (pendiente): the day was published while the chain did "
            "not answer and is not in the registry yet; verify again later"
        ),
    },
    "anchor.bulk_superseded": {
        "es": (
            "estos archivos masivos se anclaron para {date} (entrada n.º {seq}, bloque {block}), "
            "pero una reconstrucción posterior los reemplazó: la entrada vigente es la n.º "
            "{latest_seq} ({expected}); descargue los archivos masivos actuales"
        ),
        "en": (
            "these bulk files were anchored for {date} (entry no. {seq}, block {block}) but a "
            "later build replaced them: the current entry is no. {latest_seq} ({expected}); "
            "download the current bulk files"
        ),
    },
    "anchor.bulk_pending_record": {
        "es": (
            "{file}: anclaje pendiente: los archivos masivos se construyeron cuando la cadena "
            "no respondía y aún no están en el registro; vuelva a verificar más tarde"
        ),
        "en": (
            "{file}: anchor pending (pendiente): the bulk files were built while the chain did "
            "not answer and are not in the registry yet; verify again later"
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
        "es": "el registro devuelve el día {actual} al pedir {expected}",
        "en": "the registry answers day {actual} when asked for {expected}",
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
    "anchor.previous_bulk_manifest_mismatch": {
        "es": (
            "el manifiesto dice que el de los archivos masivos anteriores (hasta el "
            "{previous_date}) tiene SHA-256 {expected}, pero el del historial tiene {actual}"
        ),
        "en": (
            "the manifest says the previous bulk manifest (up to {previous_date}) hashes to "
            "{expected}, but the one in the history folder hashes to {actual}"
        ),
    },
    "anchor.previous_bulk_manifest_ok": {
        "es": (
            "enlace con el manifiesto masivo anterior (hasta el {previous_date}, en el "
            "historial) coherente"
        ),
        "en": (
            "link to the previous bulk manifest (up to {previous_date}, in the history folder) "
            "consistent"
        ),
    },
    "anchor.missing_on_chain": {
        "es": (
            "{file} dice que {date} se ancló en el bloque {block}, pero el registro no tiene "
            "ninguna entrada de {dataset} para ese día"
        ),
        "en": (
            "{file} says {date} was anchored in block {block}, but the registry has no entry "
            "of {dataset} for that day"
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
        "es": "{date} aún no está en el registro ({dataset}); vuelva a verificar más tarde",
        "en": "{date} is not in the registry yet ({dataset}); verify again later",
    },
    "anchor.bulk_not_anchored": {
        "es": (
            "los archivos masivos hasta el {date} no están anclados: el registro no tiene "
            "ninguna entrada de {dataset} para ese día (el publicador los ancla al construirlos; "
            "vuelva a verificar más tarde o descargue los archivos masivos actuales)"
        ),
        "en": (
            "the bulk files up to {date} are not anchored: the registry has no entry of "
            "{dataset} for that day (the publisher anchors them when it builds them; verify "
            "again later or download the current bulk files)"
        ),
    },
    "anchor.no_contract": {
        "es": "no se sabe qué contrato consultar: no hay pin de confianza ni recibo de anclaje",
        "en": "no contract to query: there is neither a trust pin nor an anchor receipt",
    },
    "anchor.chain_unreachable": {
        "es": "no se pudo consultar la cadena: el nodo RPC no respondió o respondió con un error",
        "en": "could not query the chain: the RPC node did not answer or answered with an error",
    },
    "anchor.receipt_unreadable": {
        "es": (
            "{file}: el recibo de anclaje no es un objeto JSON válido; se ignora (lo que decide "
            "es lo que guarda el contrato)"
        ),
        "en": (
            "{file}: the anchor receipt is not a valid JSON object; it is ignored (what the "
            "contract stores decides)"
        ),
    },
    "anchor.receipt_ok": {
        "es": (
            "recibo: la transacción {tx} existe, se confirmó en el bloque {block} y el registro "
            "fijado emitió esta entrada"
        ),
        "en": (
            "receipt: transaction {tx} exists, was confirmed in block {block} and the pinned "
            "registry emitted this entry"
        ),
    },
    "anchor.receipt_tx_bad": {
        "es": "recibo: «{tx}» no es un hash de transacción (0x y 64 cifras hexadecimales)",
        "en": "receipt: '{tx}' is not a transaction hash (0x and 64 hex digits)",
    },
    "anchor.receipt_tx_missing": {
        "es": (
            "recibo: la transacción {tx} no existe en la cadena: el recibo no es el que "
            "escribió el publicador"
        ),
        "en": (
            "receipt: transaction {tx} does not exist on the chain: the receipt is not the one "
            "the publisher wrote"
        ),
    },
    "anchor.receipt_tx_failed": {
        "es": "recibo: la transacción {tx} falló en la cadena (no anotó nada)",
        "en": "receipt: transaction {tx} failed on the chain (it recorded nothing)",
    },
    "anchor.receipt_tx_block": {
        "es": "recibo: la transacción {tx} no está en el bloque {block} que dice el recibo",
        "en": "receipt: transaction {tx} is not in block {block}, as the receipt says",
    },
    "anchor.receipt_tx_other_contract": {
        "es": (
            "recibo: la transacción {tx} no llamó al registro fijado {contract} ni emitió esta "
            "entrada"
        ),
        "en": (
            "receipt: transaction {tx} did not call the pinned registry {contract} nor emit "
            "this entry"
        ),
    },
    "anchor.receipt_tx_no_entry": {
        "es": (
            "recibo: la transacción {tx} llamó al registro {contract}, pero no anotó este "
            "manifiesto para este día"
        ),
        "en": (
            "receipt: transaction {tx} called the registry {contract}, but did not record this "
            "manifest for this day"
        ),
    },
    "anchor.receipt_unchecked": {
        "es": (
            "recibo: transacción {tx}, bloque {block}: no comprobado (se comprueba lo que guarda "
            "el contrato, no la transacción)"
        ),
        "en": (
            "receipt: transaction {tx}, block {block}: not checked (what the contract stores is "
            "checked, not the transaction)"
        ),
    },
    "anchor.no_rpc": {
        "es": (
            "no hay nodo RPC para la cadena {chain_id}: indique uno con --rpc URL (o use --offline)"
        ),
        "en": "no RPC node for chain {chain_id}: give one with --rpc URL (or use --offline)",
    },
    "anchor.nodes_disagree": {
        "es": (
            "los nodos de la cadena dan respuestas distintas ({nodes}): no se puede confiar en "
            "ninguno; vuelva a intentarlo o consulte a PERÚ COMPRAS"
        ),
        "en": (
            "the chain nodes give different answers ({nodes}): neither can be trusted; try "
            "again or ask PERÚ COMPRAS"
        ),
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
    "publisher.offline": {
        "es": (
            "no comprobado: sin consultar la cadena no se sabe quién publicó (un trust.json y un "
            "recibo descargados no lo prueban)"
        ),
        "en": (
            "not checked: without querying the chain who published is unknown (a downloaded "
            "trust.json and receipt do not prove it)"
        ),
    },
    "publisher.not_read": {
        "es": "no comprobado: el registro no se consultó",
        "en": "not checked: the registry was not read",
    },
    "publisher.no_trust": {
        "es": (
            "sin pin de confianza no se sabe qué cadena, contrato y publicador son los "
            "oficiales, y un trust.json que viene con los datos no lo prueba: obtenga el pin "
            "oficial (se instala con el verificador, o PERÚ COMPRAS lo publica fuera de los "
            "datos) y úselo con --trust ARCHIVO"
        ),
        "en": (
            "without a trust pin the official chain, contract and publisher are unknown, and a "
            "trust.json that comes with the data does not prove them: get the official pin "
            "(installed with the verifier, or published by PERÚ COMPRAS outside the data) and "
            "pass it with --trust FILE"
        ),
    },
    "publisher.data_pin_differs": {
        "es": (
            "publicador distinto del oficial: {source} (que viene con los datos) dice {field} "
            "{actual}, pero el pin «{trust}» fija {expected}"
        ),
        "en": (
            "publisher differs from the official one: {source} (which came with the data) says "
            "{field} {actual}, but the pin '{trust}' pins {expected}"
        ),
    },
    "publisher.mismatch": {
        "es": "{source}: {field} es {actual}, pero {trust} fija {expected}",
        "en": "{source}: {field} is {actual}, but {trust} pins {expected}",
    },
    "publisher.trust_invalid": {
        "es": "{trust} no es un pin de confianza válido",
        "en": "{trust} is not a valid trust pin",
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
        "es": "{date} figura en el índice pero sus archivos no están ({folder})",
        "en": "{date} is listed in the index but its files are missing ({folder})",
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
    "range.anchored_missing": {
        "es": (
            "{date}: el registro guarda una publicación de este día (entrada {seq}, {count} en "
            "total), pero falta en lo descargado (índice y carpeta): la descarga está incompleta"
        ),
        "en": (
            "{date}: the registry holds a publication of this day (entry {seq}, {count} in "
            "all), but it is missing from the download (index and folder): the download is "
            "incomplete"
        ),
    },
    "range.registry_ok": {
        "es": (
            "registro consultado para cada uno de los {days} día(s) del {start} al {end}: no "
            "falta ningún día anclado"
        ),
        "en": (
            "registry asked about each of the {days} day(s) from {start} to {end}: no anchored "
            "day is missing"
        ),
    },
    "range.late": {
        "es": "publicación tardía (anclada después de días posteriores): {dates}",
        "en": "late publication (anchored after later days): {dates}",
    },
    "range.corrected": {
        "es": "corregido (una nueva entrada reemplazó a la anterior, que sigue legible): {dates}",
        "en": "corrected (a new entry replaced the earlier one, which stays readable): {dates}",
    },
    "range.later_days": {
        "es": (
            "el registro tiene días anclados después del {end} (el último, el {latest}): no "
            "forman parte de este periodo y no se comprobaron aquí"
        ),
        "en": (
            "the registry holds anchored days after {end} (the latest is {latest}): they are "
            "not part of this period and were not checked here"
        ),
    },
    "range.more_entries": {
        "es": (
            "el registro tiene {total} entrada(s) de este conjunto en {days} día(s); {seen} son "
            "de días de este periodo y {outside}, de días fuera de él (no comprobadas aquí)"
        ),
        "en": (
            "the registry holds {total} entries of this dataset over {days} day(s); {seen} are "
            "for days of this period and {outside} for days outside it (not checked here)"
        ),
    },
    "range.head_unread": {
        "es": (
            "no se pudo leer el resumen del conjunto en el registro (dataset_info): no se sabe "
            "si hay días anclados fuera de este periodo"
        ),
        "en": (
            "the dataset's summary could not be read from the registry (dataset_info): whether "
            "days outside this period are anchored is unknown"
        ),
    },
    "range.registry_no_pin": {
        "es": (
            "sin pin de confianza no se consultó el registro: no se sabe si faltan días "
            "anclados en lo descargado"
        ),
        "en": (
            "without a trust pin the registry was not asked: whether anchored days are missing "
            "from the download is unknown"
        ),
    },
    "range.registry_too_long": {
        "es": (
            "el periodo es demasiado largo para preguntar al registro día por día (máximo "
            "{days} días): compruébelo por partes"
        ),
        "en": (
            "the period is too long to ask the registry day by day (at most {days} days): check "
            "it in parts"
        ),
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
            "SHA256SUMS, anclaje), una prueba de inclusión (JSON) o la carpeta de un día. Se "
            "calcula su SHA-256 en su navegador, se compara con el manifiesto del día, se "
            "recalcula la raíz de Merkle y se consulta el anclaje en la cadena con una llamada "
            "eth_call. Nada se envía a ningún servidor salvo esa llamada."
        ),
        "en": (
            "Drop a downloaded file here (JSON, JSONL, Parquet, CSV, manifest, SHA256SUMS, "
            "anchor), an inclusion proof (JSON) or a day's folder. Its SHA-256 is computed in "
            "your browser, compared with the day's manifest, the Merkle root is recomputed and "
            "the on-chain anchor is read with one eth_call. Nothing is sent anywhere except "
            "that call."
        ),
    },
    "page.drop": {
        "es": "Suelte archivos o la carpeta de un día aquí, o haga clic para elegir archivos",
        "en": "Drop files or a day's folder here, or click to choose files",
    },
    "page.folder": {
        "es": (
            "O elija la carpeta de un día: se comprueban todos sus archivos con el manifiesto "
            "de la carpeta, y un archivo que el manifiesto no lista hace fallar el día."
        ),
        "en": (
            "Or choose a day's folder: every file in it is checked against the folder's "
            "manifest, and a file the manifest does not list fails the day."
        ),
    },
    "page.folder_no_manifest": {
        "es": (
            "la carpeta {folder} no tiene manifiesto (…-manifest.json) ni archivos con el "
            "nombre de un día publicado: elija la carpeta de un día"
        ),
        "en": (
            "folder {folder} holds no manifest (…-manifest.json) and no file named for a "
            "published day: choose a day's folder"
        ),
    },
    "page.rpc": {
        "es": "Nodo RPC de la cadena (elegido por usted)",
        "en": "Chain RPC node (your choice)",
    },
    "page.pin_title": {"es": "Pin de confianza", "en": "Trust pin"},
    "page.pin_line": {
        "es": (
            "«{name}» ({kind}): cadena {chain_id} · contrato {contract} · publicador {publisher}. "
            "Incorporado en esta página cuando se publicó; no se lee de los datos."
        ),
        "en": (
            "'{name}' ({kind}): chain {chain_id} · contract {contract} · publisher {publisher}. "
            "Built into this page when it was published; never read from the data."
        ),
    },
    "page.pin_compare": {
        "es": (
            "Compare estos tres valores con el pin oficial «{name}» que se instala con el "
            "verificador (integrity/verify/trust/{name}.json, verificar --help) o que PERÚ "
            "COMPRAS publica fuera de este sitio: una copia de esta página en otro sitio puede "
            "traer otro pin."
        ),
        "en": (
            "Compare these three values with the official pin '{name}' installed with the "
            "verifier (integrity/verify/trust/{name}.json, verificar --help) or published by "
            "PERÚ COMPRAS outside this site: a copy of this page on another site may carry "
            "another pin."
        ),
    },
    "page.pin_nodes": {
        "es": "Nodos de la cadena (del pin; si hay dos, ambos deben coincidir): {nodes}",
        "en": "Chain nodes (from the pin; with two, both must agree): {nodes}",
    },
    "page.pin_missing": {
        "es": (
            "Esta página no trae un pin de confianza incorporado, así que nada puede quedar "
            "VERIFICADO (el trust.json del sitio es una copia que viene con los datos, no una "
            "autoridad): use la página que publica PERÚ COMPRAS o verificar --trust con el pin "
            "oficial."
        ),
        "en": (
            "This page carries no built-in trust pin, so nothing can be VERIFIED (the site's "
            "trust.json is a copy that came with the data, not an authority): use the page "
            "PERÚ COMPRAS publishes, or verificar --trust with the official pin."
        ),
    },
    "page.pin_invalid": {
        "es": (
            "El pin incorporado en esta página no es válido: se usa el trust.json del sitio, "
            "que no es una autoridad."
        ),
        "en": (
            "The pin built into this page is not valid: the site's trust.json is used, which "
            "is not an authority."
        ),
    },
    "page.pin_no_nodes": {
        "es": (
            "Sin pin no hay nodos de confianza: para consultar la cadena, abra «Usar otro nodo» "
            "e indique uno."
        ),
        "en": "Without a pin there are no trusted nodes: to query the chain, open 'Use another node' and give one.",
    },
    "page.rpc_own": {
        "es": "Usar otro nodo de la cadena (avanzado)",
        "en": "Use another chain node (advanced)",
    },
    "page.rpc_warning": {
        "es": (
            "El nodo que indique decide lo que se lee de la cadena: úselo solo si confía en él. "
            "Los resultados dirán que se usó su nodo. La página nunca toma el nodo de la "
            "dirección (URL)."
        ),
        "en": (
            "The node you give decides what is read from the chain: use it only if you trust "
            "it. Results will say your node was used. The page never takes the node from the "
            "address (URL)."
        ),
    },
    "page.rpc_used": {
        "es": "El anclaje se leyó en el nodo indicado por usted: {url}",
        "en": "The anchor was read from the node you gave: {url}",
    },
    "page.no_rpc": {
        "es": (
            "no hay nodo de la cadena {chain_id}: esta página no trae un pin con nodos; indique "
            "uno en «Usar otro nodo»"
        ),
        "en": (
            "no node for chain {chain_id}: this page carries no pin with nodes; give one in "
            "'Use another node'"
        ),
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
    "page.index_missing": {
        "es": (
            "no se pudo leer index.json junto a esta página: sírvala desde la raíz de los datos "
            "publicados"
        ),
        "en": (
            "could not read index.json next to this page: serve it from the root of the "
            "published data"
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
            "anclaje y publicador."
        ),
        "en": ("Verify PERÚ COMPRAS open-data files: integrity, inclusion, anchor and publisher."),
    },
    "cli.epilog": {
        "es": (
            "Códigos de salida: 0 verificado (integridad, inclusión, anclaje y publicador "
            "comprobados); 1 alterado o no publicado; 2 no se pudo comprobar (cadena "
            "inalcanzable, anclaje pendiente, sin pin, entrada ilegible o fuera de límites); "
            "3 íntegro, anclaje no comprobado (--offline). Solo 0 significa verificado."
        ),
        "en": (
            "Exit codes: 0 verified (integrity, inclusion, anchor and publisher checked); "
            "1 altered or not published; 2 could not check (chain unreachable, anchor pending, "
            "no pin, unreadable or oversized input); 3 intact, anchor not checked (--offline). "
            "Only 0 means verified."
        ),
    },
    "cli.help_verbose": {
        "es": "mostrar el detalle técnico de cada error",
        "en": "show the technical detail of each error",
    },
    "cli.help_timeout": {
        "es": (
            "segundos máximos por descarga HTTP (por omisión: {seconds}; {small} para los "
            "archivos pequeños: manifiesto, índice, recibo)"
        ),
        "en": (
            "maximum seconds per HTTP download (default: {seconds}; {small} for the small "
            "files: manifest, index, receipt)"
        ),
    },
    "cli.detail": {"es": "detalle: {detail}", "en": "detail: {detail}"},
    "cli.bad_timeout": {
        "es": "{value}: se espera un número de segundos mayor que 0",
        "en": "{value}: expected a number of seconds greater than 0",
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
        "es": (
            "pin de confianza (perucompras-trust-pin/1, o un trust.json) que fija cadena, "
            "contrato y publicador"
        ),
        "en": (
            "trust pin (perucompras-trust-pin/1, or a trust.json) fixing chain, contract and "
            "publisher"
        ),
    },
    "cli.help_rpc": {
        "es": "URL JSON-RPC de un nodo de la cadena (por omisión: los nodos del pin)",
        "en": "JSON-RPC URL of a chain node (default: the pin's nodes)",
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
    "cli.error": {
        "es": "error inesperado del verificador; no se pudo comprobar",
        "en": "unexpected verifier error; could not check",
    },
    "cli.bad_date": {
        "es": "{value}: se espera una fecha AAAA-MM-DD",
        "en": "{value}: expected a YYYY-MM-DD date",
    },
    "cli.devchain_unavailable": {
        "es": "no se pudo iniciar la cadena local de desarrollo (anvil)",
        "en": "could not start the local development chain (anvil)",
    },
}
