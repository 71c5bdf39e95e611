// What a process runs for each ROLE. One process (`all`) does everything; when the work is split,
// `ingest` processes talk to the exchange, write the shared store, publish on the shared bus and
// keep the store up, and `api` replicas serve clients from that store and bus, holding nothing a
// client depends on, so a load balancer may send any request or socket to any of them.
import type { Settings } from './settings/schema.js'

export type Role = Settings['ROLE']

export interface RoleParts {
  /** Live ingestion (with LIVE on): the exchange client and the ingestor publishing on the bus. */
  ingest: boolean
  /** Store upkeep: checkpoints and retention. */
  maintenance: boolean
  /** What clients use: REST, /ws, UDF, the docs and the chart page. */
  clientApi: boolean
}

export const ROLE_PARTS: Readonly<Record<Role, Readonly<RoleParts>>> = {
  all: { ingest: true, maintenance: true, clientApi: true },
  ingest: { ingest: true, maintenance: true, clientApi: false },
  api: { ingest: false, maintenance: false, clientApi: true }
}

/** A role that runs beside other processes, so its store and bus must be ones they can share. */
export function sharesState (role: Role): boolean {
  return role !== 'all'
}
