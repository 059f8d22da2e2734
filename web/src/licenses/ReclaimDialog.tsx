import { useMutation } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useAccounts } from "../accounts/api";
import { ApiProblemError, api } from "../api/client";
import { useRefreshSpace } from "../api/query";
import type { AppRow } from "../api/types";
import { useSpace } from "../app/space";
import { useApps } from "../apps/api";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice, Notice } from "../ui/States";

/** One license a reclaim finds (src/api/routes/reclaim.routes.ts `InactiveLicense`). */
interface InactiveLicense {
  id: string;
  adamId: string;
  appName?: string;
  accountName: string;
  type: "user" | "device";
  userName?: string;
  serialNumber?: string;
  lastCheckInAt?: string;
  inactiveSince: string;
}

/** What a reclaim request names: the preview's count and fingerprint, then each answer's `next`. */
interface ReclaimNext {
  expect: number;
  fingerprint: string;
}

interface ReclaimAnswer {
  preview: boolean;
  count: number;
  /** The most one request revokes: above it (`capped`), the reclaim goes on request after request. */
  limit: number;
  capped: boolean;
  /** Of all the licenses that match: sent back with the count, so only what was shown is revoked. */
  fingerprint: string;
  /** Revoked by this request. */
  reclaimed?: number;
  /** Of the set this request named, left for the next one. */
  remaining?: number;
  /** While some are left: what the next request names. */
  next?: ReclaimNext;
  items: InactiveLicense[];
}

/** A reclaim under way, batch after batch, or over (finished, stopped, or refused midway). */
interface ReclaimRun {
  /** The previewed count. */
  total: number;
  /** Licenses the batches done took up (revoked, or left as their subject came back). */
  handled: number;
  reclaimed: number;
  /** What the next batch names; absent once nothing is left. */
  next?: ReclaimNext;
  running: boolean;
  stopping: boolean;
}

interface ReclaimInput {
  inactiveDays: number;
  adamId?: string;
  accountId?: string;
  type?: "user" | "device";
}

/** A 409 `reclaim_changed`: another count, or as many licenses but not the same ones (`set`). */
interface ReclaimChange {
  expected: number;
  count: number;
  change: "count" | "set";
}

const DEFAULT_DAYS = 90;
const MAX_DAYS = 3650;
/** Rows of the preview shown in the dialog (the API answers up to 100). */
const SHOWN = 10;

/**
 * "Reclaim inactive…" on the Licenses page (write permission only): the licenses of devices
 * and users not seen for N days, previewed, then reclaimed with the previewed count and
 * fingerprint, so that the server refuses (409 `reclaim_changed`) a reclaim of anything but
 * the set shown. The API revokes `limit` licenses a request: the dialog goes on batch after
 * batch with each answer's `next`, with a progress bar, and Stop halts it after the batch in
 * flight (what was done stays done; "Reclaim the remaining" goes on from there).
 */
export function ReclaimInactive() {
  const { t } = useTranslation();
  const { canWrite } = useSpace();
  const [open, setOpen] = useState(false);
  if (!canWrite) return null;
  return (
    <>
      <Button onClick={() => setOpen(true)}>{t("reclaim.open")}</Button>
      {open ? <ReclaimDialog onClose={() => setOpen(false)} /> : null}
    </>
  );
}

function ReclaimDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId } = useSpace();
  const refresh = useRefreshSpace(spaceId);
  const apps = useApps(spaceId, { page: 1, pageSize: 500, order: "asc", sort: "name" });
  const accounts = useAccounts(spaceId);
  const daysId = useId();
  const [days, setDays] = useState(String(DEFAULT_DAYS));
  const [adamId, setAdamId] = useState("");
  const [accountId, setAccountId] = useState("");
  const [type, setType] = useState("");
  const [preview, setPreview] = useState<ReclaimAnswer>();
  const [run, setRun] = useState<ReclaimRun>();
  const [changed, setChanged] = useState<ReclaimChange>();
  const [runError, setRunError] = useState<unknown>();
  // Read between two batches: Stop (or closing the dialog) ends the run after the one in flight.
  const stop = useRef(false);
  useEffect(
    () => () => {
      stop.current = true;
    },
    [],
  );
  const path = `/spaces/${spaceId}/licenses/reclaim`;
  const inactiveDays = Number(days);
  const daysValid = /^\d+$/.test(days.trim()) && inactiveDays >= 1 && inactiveDays <= MAX_DAYS;
  const inactiveFor = t("reclaim.inactiveDays", { count: inactiveDays });
  const input = (): ReclaimInput => ({
    inactiveDays,
    ...(adamId ? { adamId } : {}),
    ...(accountId ? { accountId } : {}),
    ...(type === "user" || type === "device" ? { type } : {}),
  });
  const previewing = useMutation({
    mutationFn: () => api.post<ReclaimAnswer>(path, input()),
    onSuccess: (answer) => setPreview(answer),
  });
  // Batch after batch from `from` (the preview, or where a stopped run was left), until none is left or Stop.
  const reclaim = async (from: ReclaimRun) => {
    const body = input();
    stop.current = false;
    let current: ReclaimRun = { ...from, running: true, stopping: false };
    setRun(current);
    setPreview(undefined);
    setChanged(undefined);
    setRunError(undefined);
    try {
      while (current.next && !stop.current) {
        const answer = await api.post<ReclaimAnswer>(path, { ...body, ...current.next });
        current = {
          ...current,
          handled: current.handled + Math.min(answer.count, answer.limit),
          reclaimed: current.reclaimed + (answer.reclaimed ?? 0),
          next: answer.next,
        };
        setRun(current);
      }
    } catch (error) {
      const limits = reclaimChanged(error);
      if (limits) setChanged(limits);
      else setRunError(error);
      current = { ...current, next: undefined };
    } finally {
      setRun({ ...current, running: false, stopping: false });
      void refresh();
    }
  };
  const start = (shown: ReclaimAnswer) =>
    void reclaim({
      total: shown.count,
      handled: 0,
      reclaimed: 0,
      next: { expect: shown.count, fingerprint: shown.fingerprint },
      running: true,
      stopping: false,
    });
  const requestStop = () => {
    stop.current = true;
    setRun((r) => (r ? { ...r, stopping: true } : r));
  };
  // Any change of the criteria voids the preview: what is reclaimed is always what was shown.
  const edit = (set: (value: string) => void) => (value: string) => {
    set(value);
    setPreview(undefined);
    setRun(undefined);
    setChanged(undefined);
    setRunError(undefined);
    previewing.reset();
  };
  const runPreview = () => {
    setRun(undefined);
    setChanged(undefined);
    setRunError(undefined);
    previewing.mutate();
  };
  const count = preview?.count ?? 0;
  const running = run?.running === true;
  // A run stopped with licenses left goes on from where it was, without another preview.
  const resumable = run && !running && run.next ? run : undefined;
  return (
    <Dialog
      open
      wide
      title={t("reclaim.title")}
      onClose={onClose}
      footer={
        <>
          {running ? (
            <Button disabled={run.stopping} onClick={requestStop}>
              {run.stopping ? t("reclaim.stopping") : t("reclaim.stop")}
            </Button>
          ) : (
            <Button onClick={onClose}>{run ? t("common.close") : t("common.cancel")}</Button>
          )}
          {resumable?.next ? (
            <Button variant="danger" onClick={() => void reclaim(resumable)}>
              {t("reclaim.continue", { count: resumable.next.expect })}
            </Button>
          ) : (
            <Button
              variant="danger"
              disabled={!preview || count === 0}
              busy={running}
              onClick={() => preview && start(preview)}
            >
              {preview ? t("reclaim.confirm", { count }) : t("reclaim.confirmFirst")}
            </Button>
          )}
        </>
      }
    >
      <p>{t("reclaim.intro")}</p>
      <p className="muted small">{t("reclaim.userRule")}</p>
      <div className="inline-form">
        <div className={`field ${daysValid ? "" : "field-invalid"}`}>
          <label className="field-label" htmlFor={daysId}>
            {t("reclaim.days")}
          </label>
          <input
            id={daysId}
            className="input input-sm"
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_DAYS}
            value={days}
            aria-invalid={daysValid ? undefined : true}
            onChange={(e) => edit(setDays)(e.target.value)}
          />
          {daysValid ? null : (
            <div className="field-error" role="alert">
              {t("reclaim.daysInvalid", { max: MAX_DAYS })}
            </div>
          )}
        </div>
        <label className="inline-field">
          <span className="sr-only">{t("licenses.app")}</span>
          <select className="select" value={adamId} onChange={(e) => edit(setAdamId)(e.target.value)}>
            <option value="">{t("licenses.allApps")}</option>
            {(apps.data?.items ?? []).map((a: AppRow) => (
              <option key={a.adamId} value={a.adamId}>
                {a.name ?? a.adamId}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span className="sr-only">{t("licenses.account")}</span>
          <select className="select" value={accountId} onChange={(e) => edit(setAccountId)(e.target.value)}>
            <option value="">{t("licenses.allAccounts")}</option>
            {(accounts.data ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.displayName}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span className="sr-only">{t("licenses.type")}</span>
          <select className="select" value={type} onChange={(e) => edit(setType)(e.target.value)}>
            <option value="">{t("licenses.allTypes")}</option>
            <option value="user">{t("licenseType.user")}</option>
            <option value="device">{t("licenseType.device")}</option>
          </select>
        </label>
        <Button
          variant="primary"
          disabled={!daysValid || running}
          busy={previewing.isPending}
          onClick={runPreview}
        >
          {t("reclaim.preview")}
        </Button>
      </div>
      {previewing.error ? <ErrorNotice error={previewing.error} /> : null}
      {runError ? <ErrorNotice error={runError} /> : null}
      {run?.running ? (
        <div role="status">
          <p>{t("reclaim.progress", { done: f.number(run.handled), total: f.number(run.total) })}</p>
          <progress
            max={run.total}
            value={run.handled}
            aria-label={t("reclaim.progressLabel")}
            style={{ width: "100%" }}
          />
        </div>
      ) : null}
      {run && !run.running && run.handled > 0 ? (
        <Notice tone="success">
          {t("reclaim.done", { count: run.reclaimed })}
          {run.reclaimed < run.handled ? ` ${t("reclaim.doneFewer", { previewed: run.handled })}` : ""}
          {run.next ? ` ${t("reclaim.stopped", { count: run.next.expect })}` : ""}
        </Notice>
      ) : null}
      {changed ? (
        <Notice
          tone="warning"
          title={run && run.handled > 0 ? t("reclaim.changedTitleRest") : t("reclaim.changedTitle")}
        >
          {changed.change === "set"
            ? t("reclaim.changedSet", { current: changed.count })
            : t("reclaim.changed", { current: changed.count, expected: changed.expected })}
        </Notice>
      ) : null}
      {preview ? (
        preview.count === 0 ? (
          <Notice>{t("reclaim.none", { days: inactiveFor })}</Notice>
        ) : (
          <>
            <p role="status">
              <strong>{t("reclaim.found", { count: preview.count, days: inactiveFor })}</strong>
            </p>
            {preview.capped ? (
              <p className="muted small">{t("reclaim.batches", { limit: f.number(preview.limit) })}</p>
            ) : null}
            <div className="table-wrap">
              <table className="table">
                <caption className="sr-only">
                  {t("reclaim.found", { count: preview.count, days: inactiveFor })}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">{t("licenses.subject")}</th>
                    <th scope="col">{t("licenses.app")}</th>
                    <th scope="col">{t("licenses.account")}</th>
                    <th scope="col">{t("reclaim.lastCheckIn")}</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.items.slice(0, SHOWN).map((l) => (
                    <tr key={l.id}>
                      <td>
                        {l.type === "device"
                          ? t("reclaim.device", { serial: l.serialNumber ?? "—" })
                          : t("reclaim.user", { name: l.userName ?? "—" })}
                      </td>
                      <td>{l.appName ?? l.adamId}</td>
                      <td>{l.accountName}</td>
                      <td>{l.lastCheckInAt ? f.date(l.lastCheckInAt) : t("reclaim.never")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {preview.count > SHOWN ? (
              <p className="muted small">{t("reclaim.more", { shown: SHOWN, total: preview.count })}</p>
            ) : null}
          </>
        )
      ) : null}
      <p className="muted small">
        <RuleRef id="RV3" />
      </p>
      <p className="muted small">
        <RuleRef id="DB2" />
      </p>
    </Dialog>
  );
}

/** The figures of a 409 `reclaim_changed`: the count previewed, the count now, and what changed (its field). */
function reclaimChanged(error: unknown): ReclaimChange | undefined {
  if (!(error instanceof ApiProblemError) || error.code !== "reclaim_changed") return undefined;
  const named = error.problem.errors?.find(
    (e) => e.field === "body.expect" || e.field === "body.fingerprint",
  );
  const expected = Number(named?.limits?.expected);
  const count = Number(named?.limits?.count);
  if (!named || !Number.isFinite(expected) || !Number.isFinite(count)) return undefined;
  return { expected, count, change: named.field === "body.fingerprint" ? "set" : "count" };
}
