/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Cockpit page of virt-realize: a client of org.virtrealize.Realize1
 * (schemas/org.virtrealize.Realize1.*.xml). Everything live comes from the
 * agent's ObjectManager and signals; nothing polls.
 *
 * Cockpit's D-Bus channel cannot carry a Unix file descriptor, and the
 * agent takes the import directory only as one (it never opens a caller's
 * path as root). So import, and export (which has no D-Bus method yet), run
 * the virt-realize CLI through the bridge, which opens the folder with the
 * user's own rights and hands it to the same agent. Validate and Realize
 * go over D-Bus; the agent then reopens the import directory itself, which
 * it does only below agent.conf's TrustedImportDirs (its error says so). */
"use strict";

const BUS_NAME = "org.virtrealize.Realize1";
const ROOT_PATH = "/org/virtrealize/Realize1";
const MANAGER_PATH = ROOT_PATH + "/Manager";
const IFACE = BUS_NAME;
const PLANNED_IFACE = IFACE + ".PlannedSystem";
const JOB_IFACE = IFACE + ".Job";
const MANAGER_IFACE = IFACE + ".Manager";
const ERROR_PREFIX = IFACE + ".Error.";

const JOB_STATES = {
    2: "Queued", 3: "Starting", 4: "Running", 7: "Completed",
    8: "Cancelled", 9: "Killed", 10: "Failed"
};
const CODE_NAMES = {
    32768: "Failed", 32769: "AccessDenied", 32770: "NotSupported",
    32771: "Unknown", 32772: "Timeout", 32773: "InvalidParameter",
    32774: "InUse", 32775: "InvalidState", 32776: "IncorrectType",
    32777: "NotAvailable", 32778: "NoMemory"
};

/* Which findings a one-click fix answers. */
const FIX_VCPUS = ["VR1201", "VR1202", "VR1705"];
const FIX_MEMORY = ["VR1203", "VR1704"];
const FIX_CPU_MODE = ["VR1301", "VR1302", "VR1303", "VR1708", "VR1711"];

const client = cockpit.dbus(BUS_NAME, { bus: "system", superuser: "try" });
const systems = client.proxies(PLANNED_IFACE, ROOT_PATH);
const jobs = client.proxies(JOB_IFACE, ROOT_PATH);

/* Saved-state sizes a realize's copy step showed, by planned system path. */
const savedSizes = {};
/* What Validate said last, by planned system path. */
const verdicts = {};
/* The planned system whose findings or realize form is shown. */
let findingsFor = null;
let realizeFor = null;
let machinesInstalled = false;

function $(id) {
    return document.getElementById(id);
}

function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
        if (key === "class")
            node.className = value;
        else if (key.startsWith("on"))
            node.addEventListener(key.slice(2), value);
        else if (value !== undefined && value !== null && value !== false)
            node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
        if (child !== null && child !== undefined)
            node.append(child);
    }
    return node;
}

/* Redraws container's children without taking the keyboard focus away:
 * a live update must not lose the button a user tabbed to. */
function redraw(container, children) {
    const active = document.activeElement;
    let key = null;
    if (active && active !== document.body && container.contains(active)) {
        const owner = active.closest("[data-path]");
        key = { path: owner ? owner.dataset.path : null, label: active.getAttribute("aria-label"), tag: active.tagName };
    }
    container.replaceChildren(...children);
    if (!key)
        return;
    for (const node of container.querySelectorAll(key.tag)) {
        const owner = node.closest("[data-path]");
        if ((owner ? owner.dataset.path : null) === key.path && node.getAttribute("aria-label") === key.label) {
            node.focus();
            return;
        }
    }
}

/* ---- messages ---- */

/* "InUse (32774): message" from a D-Bus error of the agent; a polkit
 * refusal names the right the user lacks. */
function describeError(error) {
    const name = error.name || "";
    let message = error.message || String(error);
    if (error.problem === "not-found" || name === "org.freedesktop.DBus.Error.ServiceUnknown")
        return "NotAvailable: the virt-realize agent (virt-realized) is not running or not installed";
    if (!name.startsWith(ERROR_PREFIX))
        return (name ? name + ": " : "") + message;
    const nick = name.slice(ERROR_PREFIX.length);
    const code = Object.keys(CODE_NAMES).find(c => CODE_NAMES[c] === nick);
    const denied = /not authorized for (org\.virtrealize\.Realize1\.[a-z-]+)/.exec(message);
    if (nick === "AccessDenied" && denied)
        message = "you lack the right " + denied[1] + " (ask an administrator, or log in with administrative access). " + message;
    return nick + (code ? " (" + code + ")" : "") + ": " + message;
}

function showStatus(text, info) {
    const status = $("status");
    status.textContent = text;
    status.className = info ? "alert info" : "alert";
    status.hidden = false;
}

function clearStatus() {
    $("status").hidden = true;
}

function failed(error) {
    console.warn(error);
    showStatus(describeError(error));
}

function formatBytes(bytes) {
    return cockpit.format_bytes(bytes, 1024);
}

function formatDuration(seconds) {
    seconds = Math.round(seconds);
    if (seconds < 60)
        return seconds + " s";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60)
        return minutes + " min " + (seconds % 60) + " s";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
}

function call(path, iface, method, args) {
    return client.call(path, iface, method, args);
}

/* ---- planned systems ---- */

function systemName(path) {
    const proxy = systems[path];
    return proxy && proxy.Name ? proxy.Name : path.split("/").pop();
}

function savedStateText(proxy) {
    if (!proxy.HasSavedState)
        return "none (boots)";
    /* The API has no size property; a realize's copy step knows it. */
    for (const job of Object.values(jobs)) {
        if (job.Target === proxy.path && job.Phase === "copy" && job.BytesTotal > 0)
            savedSizes[proxy.path] = job.BytesTotal;
    }
    return savedSizes[proxy.path] ? "yes, " + formatBytes(savedSizes[proxy.path]) : "yes";
}

function fitsCell(path) {
    const verdict = verdicts[path];
    if (!verdict)
        return el("td", { "data-label": "Fits this host", class: "muted" }, "not checked");
    if (verdict.errors === 0)
        return el("td", { "data-label": "Fits this host", class: "fits-yes" }, "yes");
    return el("td", { "data-label": "Fits this host", class: "fits-no" },
              "no: " + verdict.errors + (verdict.errors === 1 ? " error" : " errors"));
}

function systemRow(path) {
    const proxy = systems[path];
    const busy = proxy.State === "realizing";
    const editable = proxy.State === "planned" || proxy.State === "failed";
    const name = proxy.Name;
    let stateText = proxy.State;
    if (proxy.State === "realized" && proxy.Domain)
        stateText += " as " + proxy.Domain;
    if (proxy.LastJobCode)
        stateText += " (last job: " + (CODE_NAMES[proxy.LastJobCode] || proxy.LastJobCode) +
            (proxy.LastJobMessage ? ": " + proxy.LastJobMessage : "") + ")";
    return el("tr", { "data-path": path, "data-name": name },
              el("th", { scope: "row", "data-label": "Name" }, name),
              el("td", { "data-label": "State", class: "state" }, stateText),
              el("td", { "data-label": "Saved state" }, savedStateText(proxy)),
              fitsCell(path),
              el("td", { "data-label": "Import directory" }, el("code", {}, proxy.ImportDirectory)),
              el("td", { class: "actions" },
                 el("button", { class: "validate", disabled: busy, onclick: () => validate(path), "aria-label": "Validate " + name }, "Validate"),
                 el("button", { class: "realize", disabled: !editable, onclick: () => openRealize(path), "aria-label": "Realize " + name }, "Realize"),
                 el("button", { class: "destroy danger", disabled: busy, onclick: () => confirmDestroy(path), "aria-label": "Destroy " + name }, "Destroy")));
}

function renderSystems() {
    const paths = Object.keys(systems).sort((a, b) => systemName(a).localeCompare(systemName(b)));
    const body = $("systems").tBodies[0];
    redraw(body, paths.map(systemRow));
    $("systems-empty").hidden = paths.length > 0;
    $("export-domains").replaceChildren(...paths
        .filter(p => systems[p].Domain)
        .map(p => el("option", { value: systems[p].Domain })));
    if (findingsFor && !systems[findingsFor])
        $("findings-card").hidden = true;
    if (realizeFor && !systems[realizeFor])
        closeRealize();
}

/* ---- import and export (the CLI hands the folder over as a descriptor) ---- */

function runCli(args) {
    return cockpit.spawn(["virt-realize"].concat(args),
                         { superuser: "try", err: "message", environ: ["LC_ALL=C.UTF-8"] });
}

function cliFailed(error) {
    if (error.problem === "not-found")
        showStatus("NotAvailable: the virt-realize command is not installed on this host");
    else
        showStatus(error.message || String(error));
}

function importDir(event) {
    event.preventDefault();
    const path = $("import-path").value.trim();
    const name = $("import-name").value.trim();
    if (!path.startsWith("/")) {
        showStatus("InvalidParameter (32773): the import directory must be an absolute path on this host");
        return;
    }
    const args = ["import", path];
    if (name)
        args.push("--name", name);
    $("import-button").disabled = true;
    runCli(args)
        .then(output => {
            showStatus(output.trim(), true);
            $("import-path").value = "";
            $("import-name").value = "";
        })
        .catch(cliFailed)
        .finally(() => { $("import-button").disabled = false });
}

function exportDomain(event) {
    event.preventDefault();
    const args = ["export"];
    if ($("export-save").checked)
        args.push("--save");
    if ($("export-disks").checked)
        args.push("--with-disks");
    /* A name may start with '-': never read as an option. */
    args.push("--", $("export-domain").value.trim(), $("export-dir").value.trim());
    $("export-button").disabled = true;
    runCli(args)
        .then(output => showStatus(output.trim(), true))
        .catch(cliFailed)
        .finally(() => { $("export-button").disabled = false });
}

/* ---- validate and findings ---- */

function validate(path) {
    clearStatus();
    return call(path, PLANNED_IFACE, "Validate", [{}])
        .then(([errors, json]) => {
            verdicts[path] = { errors, findings: JSON.parse(json) };
            findingsFor = path;
            renderSystems();
            renderFindings();
        })
        .catch(failed);
}

function severityCell(finding) {
    return el("td", { "data-label": "Severity", class: "sev-" + finding.severity }, finding.severity);
}

function whereCell(finding) {
    const where = finding.source || "";
    const line = finding.line ? " (line " + finding.line + ")" : "";
    return el("td", { "data-label": "Where" }, el("span", { class: "xpath" }, where + line));
}

function fixForm(label, input, apply) {
    const form = el("form", { class: "fix-form" }, input,
                    el("button", { type: "submit" }, label));
    form.addEventListener("submit", event => {
        event.preventDefault();
        apply(input.value);
    });
    return form;
}

/* The device element an XPath points into, when it names exactly one. */
function deviceOf(doc, xpath) {
    const match = /^\/domain\/devices\/[A-Za-z]+(\[[0-9]+\])?/.exec(xpath || "");
    if (!match)
        return null;
    const found = doc.evaluate(match[0], doc, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
    return found.snapshotLength === 1 ? found.snapshotItem(0) : null;
}

/* The words for a finding's fix, made here from its data: a button's
 * label (the agent's hint says it in a sentence, for any front end). */
function fixLabel(fix) {
    return fix.remove ? "Remove " + fix.xpath : "Set " + fix.xpath + " to " + fix.value;
}

function fixMissing(xpath) {
    return new Error("InvalidParameter (32773): " + xpath + " selects nothing in the planned XML");
}

/* A finding's fix as data, applied as `virt-realize edit` does: --set
 * gives every attribute or element the XPath selects the value (a missing
 * attribute is added to the elements before its "/@"), --remove takes out
 * what it selects. */
function applyDataFix(doc, fix) {
    const found = doc.evaluate(fix.xpath, doc, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
    const nodes = Array.from({ length: found.snapshotLength }, (_, i) => found.snapshotItem(i));
    if (nodes.length === 0 && !fix.remove) {
        const match = /^(.*)\/@([A-Za-z_][A-Za-z0-9_.-]*)$/.exec(fix.xpath);
        const owners = match ? doc.evaluate(match[1], doc, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null) : null;
        if (!owners || owners.snapshotLength === 0)
            throw fixMissing(fix.xpath);
        for (let i = 0; i < owners.snapshotLength; i++)
            owners.snapshotItem(i).setAttribute(match[2], fix.value);
        return;
    }
    if (nodes.length === 0)
        throw fixMissing(fix.xpath);
    for (const node of nodes) {
        if (fix.remove && node.nodeType === Node.ATTRIBUTE_NODE)
            node.ownerElement.removeAttributeNode(node);
        else if (fix.remove)
            node.parentNode.removeChild(node);
        else if (node.nodeType === Node.ATTRIBUTE_NODE)
            node.value = fix.value;
        else
            node.textContent = fix.value;
    }
}

function fixCell(path, finding, doc) {
    const cell = el("td", { class: "fix", "data-label": "Fix" });
    if (finding.severity === "info")
        return cell;
    const id = finding.id;
    const name = finding.id + " " + finding.title;
    /* The fix the agent gives as data: one click applies exactly it. */
    if (finding.fix && finding.fix.xpath) {
        const fix = finding.fix;
        cell.append(el("button", {
            class: "apply-fix",
            "aria-label": fixLabel(fix) + " (" + name + ")",
            onclick: () => applyFix(path, d => applyDataFix(d, fix))
        }, fixLabel(fix)));
    }
    if (FIX_VCPUS.includes(id)) {
        const input = el("input", { type: "number", min: "1", value: textAt(doc, "/domain/vcpu") || "1", "aria-label": "vCPUs for " + name });
        cell.append(fixForm("Set vCPUs", input, value => applyFix(path, d => setVcpus(d, value))));
    }
    if (FIX_MEMORY.includes(id)) {
        const kib = Number(textAt(doc, "/domain/memory") || "0");
        const input = el("input", { type: "number", min: "16", value: String(Math.max(16, Math.round(kib / 1024))), "aria-label": "Memory in MiB for " + name });
        cell.append(fixForm("Set memory (MiB)", input, value => applyFix(path, d => setMemory(d, value))));
    }
    if (FIX_CPU_MODE.includes(id)) {
        const select = el("select", { "aria-label": "CPU mode for " + name },
                          el("option", { value: "host-model" }, "host-model"),
                          el("option", { value: "host-passthrough" }, "host-passthrough"),
                          el("option", { value: "maximum" }, "maximum"));
        cell.append(fixForm("Set CPU mode", select, value => applyFix(path, d => setCpuMode(d, value))));
    }
    const device = doc ? deviceOf(doc, finding.source) : null;
    if (device) {
        cell.append(el("button", {
            class: "remove-device",
            "aria-label": "Remove the " + device.nodeName + " device (" + name + ")",
            onclick: () => applyFix(path, d => removeDevice(d, finding.source))
        }, "Remove this " + device.nodeName));
    }
    return cell;
}

function findingRow(path, finding, doc) {
    return el("tr", { "data-id": finding.id, class: "finding" },
              severityCell(finding),
              el("td", { "data-label": "Finding" },
                 el("strong", {}, finding.id + " " + (finding.title || "")), el("br"), finding.message || ""),
              whereCell(finding),
              /* A fix as data is told in this page's words (the label
               * of its button); other hints as the agent words them. */
              el("td", { "data-label": "Hint" }, finding.fix && finding.fix.xpath ? fixLabel(finding.fix) : finding.hint || ""),
              fixCell(path, finding, doc));
}

function renderFindings() {
    const path = findingsFor;
    const verdict = verdicts[path];
    if (!verdict || !systems[path])
        return;
    $("findings-title").textContent = "Findings for " + systemName(path) +
        (verdict.errors ? " (" + verdict.errors + " blocking realize)" : ": fits this host");
    /* The fixes need the XML to resolve XPaths; a refusal leaves them out. */
    planXml(path, false)
        .catch(() => null)
        .then(doc => {
            const body = $("findings").tBodies[0];
            body.replaceChildren(...verdict.findings.map(f => findingRow(path, f, doc)));
            if (verdict.findings.length === 0)
                body.append(el("tr", {}, el("td", { colspan: "5" }, "No findings.")));
            $("findings-card").hidden = false;
        });
}

/* ---- one-click fixes: each an Update of the planned XML, then Validate ---- */

function parseXml(text) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    if (doc.getElementsByTagName("parsererror").length > 0)
        throw new Error("the planned domain XML does not parse");
    return doc;
}

function planXml(path, secrets) {
    return call(path, PLANNED_IFACE, "GetDomainXML", [{ secrets: { t: "b", v: secrets } }])
        .then(([xml]) => parseXml(xml));
}

/* The XML to change, with its secrets: without them an Update would drop a
 * graphics password. Without the right to read them, only XML that has
 * none of the elements that carry them is changed. */
function xmlForUpdate(path) {
    return planXml(path, true).catch(error => {
        if (error.name !== ERROR_PREFIX + "AccessDenied")
            throw error;
        return planXml(path, false).then(doc => {
            if (doc.querySelector("graphics, launchSecurity"))
                throw error;
            return doc;
        });
    });
}

function textAt(doc, xpath) {
    if (!doc)
        return null;
    const node = doc.evaluate(xpath, doc, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
    return node ? node.textContent.trim() : null;
}

function child(doc, parent, name) {
    let node = parent.getElementsByTagName(name)[0];
    if (!node || node.parentNode !== parent) {
        node = doc.createElement(name);
        parent.appendChild(node);
    }
    return node;
}

function positiveInteger(value, what) {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1)
        throw new Error("InvalidParameter (32773): " + what + " must be a whole number above 0");
    return number;
}

function setVcpus(doc, value) {
    const count = positiveInteger(value, "vCPUs");
    const vcpu = child(doc, doc.documentElement, "vcpu");
    vcpu.textContent = String(count);
    vcpu.removeAttribute("current");
    /* A topology that no longer multiplies out would be refused. */
    const topology = doc.querySelector("domain > cpu > topology");
    if (topology)
        topology.parentNode.removeChild(topology);
}

function setMemory(doc, value) {
    const kib = positiveInteger(value, "memory") * 1024;
    for (const name of ["memory", "currentMemory"]) {
        const node = doc.querySelector("domain > " + name);
        if (node || name === "memory") {
            const target = node || child(doc, doc.documentElement, name);
            target.textContent = String(kib);
            target.setAttribute("unit", "KiB");
        }
    }
}

function setCpuMode(doc, mode) {
    const cpu = child(doc, doc.documentElement, "cpu");
    cpu.setAttribute("mode", mode);
    cpu.removeAttribute("match");
    cpu.removeAttribute("check");
    /* host-model, host-passthrough and maximum take no model or features. */
    for (const node of Array.from(cpu.children)) {
        if (node.nodeName === "model" || node.nodeName === "feature" || node.nodeName === "vendor")
            cpu.removeChild(node);
    }
}

function removeDevice(doc, xpath) {
    const device = deviceOf(doc, xpath);
    if (!device)
        throw new Error("InvalidParameter (32773): " + xpath + " no longer names one device");
    device.parentNode.removeChild(device);
}

function applyFix(path, change) {
    clearStatus();
    return xmlForUpdate(path)
        .then(doc => {
            change(doc);
            const xml = new XMLSerializer().serializeToString(doc);
            return call(path, PLANNED_IFACE, "Update", [xml, {}]);
        })
        .then(() => validate(path))
        .catch(error => error.name ? failed(error) : showStatus(error.message));
}

/* ---- realize and jobs ---- */

function openRealize(path) {
    realizeFor = path;
    $("realize-title").textContent = "Realize " + systemName(path);
    $("realize-card").hidden = false;
    $("realize-pool").focus();
}

function closeRealize() {
    realizeFor = null;
    $("realize-card").hidden = true;
}

function realize(event) {
    event.preventDefault();
    const path = realizeFor;
    if (!path)
        return;
    const options = {
        "copy-disks": { t: "b", v: $("realize-copy-disks").checked },
        start: { t: "b", v: $("realize-start").checked }
    };
    const pool = $("realize-pool").value.trim();
    const poolDir = $("realize-pool-dir").value.trim();
    if (pool)
        options.pool = { t: "s", v: pool };
    if (poolDir)
        options["pool-dir"] = { t: "s", v: poolDir };
    clearStatus();
    $("realize-button").disabled = true;
    call(path, PLANNED_IFACE, "Realize", [options])
        .then(() => closeRealize())
        .catch(failed)
        .finally(() => { $("realize-button").disabled = false });
}

function cancelJob(path) {
    call(path, JOB_IFACE, "Cancel", []).catch(failed);
}

function jobNumbers(job) {
    const parts = [job.PercentComplete + " %"];
    if (job.BytesTotal > 0)
        parts.push(formatBytes(job.BytesDone) + " of " + formatBytes(job.BytesTotal));
    if (job.Rate > 0) {
        parts.push(formatBytes(job.Rate) + "/s");
        if (job.BytesTotal > job.BytesDone)
            parts.push(formatDuration((job.BytesTotal - job.BytesDone) / job.Rate) + " left");
    }
    if (job.ElapsedTime > 0)
        parts.push(formatDuration(job.ElapsedTime / 1e6) + " elapsed");
    return parts.join(" · ");
}

function machinesLink(domain) {
    if (!machinesInstalled || !domain)
        return null;
    return el("a", {
        href: "#",
        onclick: event => {
            event.preventDefault();
            cockpit.jump("/machines#vm?name=" + encodeURIComponent(domain) + "&connection=system");
        }
    }, "Open " + domain + " in Virtual machines");
}

function jobResult(job) {
    const target = systems[job.Target];
    if (job.JobState === 7) {
        const domain = target ? target.Domain : "";
        return el("div", { class: "result" }, "Done: domain " + (domain || "defined") + " ",
                  machinesLink(domain));
    }
    if (job.JobState === 8)
        return el("div", { class: "result" }, "Cancelled: everything it made was rolled back.");
    if (job.JobState >= 9)
        return el("div", { class: "result sev-error" }, jobResultText(job, job.ErrorDescription));
    return null;
}

function jobResultText(job, message) {
    const code = job && job.ErrorCode ? job.ErrorCode : 32768;
    return (CODE_NAMES[code] || "Failed") + " (" + code + "): " + message;
}

function jobRow(path) {
    const job = jobs[path];
    const running = job.JobState < 7;
    const name = systemName(job.Target);
    const label = job.JobType + " " + name;
    return el("div", { class: "job", "data-path": path, "data-state": String(job.JobState) },
              el("div", {},
                 el("strong", {}, label), el("br"),
                 el("span", { class: "muted" },
                    (JOB_STATES[job.JobState] || job.JobState) + (job.Phase ? ": " + job.Phase : ""))),
              el("div", {},
                 el("progress", { max: "100", value: String(job.PercentComplete), "aria-label": "Progress of " + label }),
                 el("div", { class: "numbers" }, jobNumbers(job)),
                 jobResult(job)),
              el("div", {},
                 running && job.Cancellable
                     ? el("button", { class: "cancel danger", onclick: () => cancelJob(path), "aria-label": "Cancel " + label }, "Cancel")
                     : null));
}

function renderJobs() {
    const paths = Object.keys(jobs).sort((a, b) =>
        Number(b.split("/").pop()) - Number(a.split("/").pop()));
    redraw($("jobs"), paths.map(jobRow));
    $("jobs-empty").hidden = paths.length > 0;
}

/* Completed signals whose job has not yet shown its final state. */
const endings = {};

function announceEnd(path) {
    const job = jobs[path];
    const ending = endings[path];
    if (!ending || (job && job.JobState < 7))
        return;
    delete endings[path];
    const name = systemName(job ? job.Target : path);
    if (ending.success)
        showStatus(name + ": " + (job ? job.JobType : "job") + " completed", true);
    else if (job && job.JobState === 8)
        showStatus(name + ": cancelled, everything it made was rolled back", true);
    else
        showStatus(name + ": " + jobResultText(job, ending.message));
}

/* ---- destroy ---- */

function confirmDestroy(path) {
    const dialog = $("destroy-dialog");
    $("destroy-text").textContent = "Forget the planned system " + systemName(path) +
        "? Its import directory and any realized domain stay as they are.";
    dialog.returnValue = "";
    dialog.onclose = () => {
        if (dialog.returnValue === "destroy")
            call(path, PLANNED_IFACE, "Destroy", []).catch(failed);
    };
    dialog.showModal();
}

/* ---- start ---- */

function whenMachines() {
    /* The shell knows the installed packages; cockpit-machines is "machines". */
    fetch("../manifests.json")
        .then(response => response.json())
        .then(manifests => {
            machinesInstalled = "machines" in manifests;
            renderJobs();
        })
        .catch(() => {});
}

function init() {
    $("import-form").addEventListener("submit", importDir);
    $("export-form").addEventListener("submit", exportDomain);
    $("realize-form").addEventListener("submit", realize);
    $("realize-close").addEventListener("click", closeRealize);

    /* A job's result names its system's domain. */
    systems.addEventListener("changed", () => { renderSystems(); renderFindings(); renderJobs() });
    systems.addEventListener("added", renderSystems);
    systems.addEventListener("removed", renderSystems);
    /* A job's progress also updates the saved-state size of its system. */
    jobs.addEventListener("changed", () => { renderJobs(); renderSystems() });
    jobs.addEventListener("added", renderJobs);
    jobs.addEventListener("removed", renderJobs);
    /* Said once per job, where a screen reader hears it; a cancel the user
     * asked for is no error. The signal can come before the job's last
     * properties (they change at most ten times a second): announce when
     * the job's state says how it ended. */
    client.subscribe({ interface: JOB_IFACE, member: "Completed" }, (path, iface, signal, [success, message]) => {
        endings[path] = { success, message };
        announceEnd(path);
    });
    jobs.addEventListener("changed", (event, proxy) => announceEnd(proxy.path));

    Promise.all([systems.wait(), jobs.wait()])
        .then(() => { renderSystems(); renderJobs() })
        .catch(failed);
    client.call(MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", [MANAGER_IFACE, "Version"])
        .then(([version]) => { $("agent-version").textContent = "agent " + version.v })
        .catch(failed);
    client.addEventListener("close", (event, options) => {
        showStatus(describeError({ problem: options.problem, message: options.message || options.problem }));
    });
    whenMachines();
    document.body.setAttribute("data-ready", "true");
}

init();
