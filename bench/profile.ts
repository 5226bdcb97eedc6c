/** How big each case is. PostgreSQL runs the national-scale figures; PGlite a tenth of them. */
export interface BenchProfile {
  name: 'postgres' | 'pglite';
  /** Units in the generated tree (one officer each). */
  units: number;
  /** Rows of the generated 附件3 CSV imported through the findings import. */
  findings: number;
  /** ACKNOWLEDGE requests over HTTP, each on its own ticket. */
  transitions: number;
  concurrency: number;
  /** Tickets in the database during the sweep and list cases. */
  tickets: number;
  /** Of those, due for escalation at the sweep's moment. */
  dueForEscalation: number;
  /** GET /api/tickets requests, following cursors up to `listPagesDeep` pages per filter. */
  listRequests: number;
  listPagesDeep: number;
  /** Issued tickets taken through ACKNOWLEDGE, SUBMIT_RECTIFICATION and VERIFY, each VERIFY's email delivered over SMTP. */
  workflowTickets: number;
  /** People working at once in that case, each on one keep-alive connection (the Redmine workload: 8). */
  workflowConcurrency: number;
}

export const postgresProfile: BenchProfile = {
  name: 'postgres',
  units: 1_000,
  findings: 100_000,
  transitions: 20_000,
  concurrency: 32,
  tickets: 1_000_000,
  dueForEscalation: 100_000,
  listRequests: 500,
  listPagesDeep: 50,
  workflowTickets: 2_000,
  workflowConcurrency: 8,
};

export const pgliteProfile: BenchProfile = {
  name: 'pglite',
  units: 100,
  findings: 10_000,
  transitions: 2_000,
  concurrency: 32,
  tickets: 100_000,
  dueForEscalation: 10_000,
  listRequests: 500,
  listPagesDeep: 50,
  workflowTickets: 200,
  workflowConcurrency: 8,
};

/**
 * The performance issue's targets for this 2-core machine (issue 18, round two), reported against,
 * never failing the run. The `Ratio` ones are ours ÷ the raw-SQL baseline of the same run.
 */
export const targets = {
  importRatio: 0.9,
  transitionsRatio: 0.7,
  transitionP99Ms: 60,
  sweepRatio: 1.3,
  listP99Ms: 50,
  rssMb: 160,
  /** Transitions a second of the Redmine workload, mail drained (Redmine itself: 13.5); no baseline, an absolute figure. */
  workflowPerSecond: 600,
} as const;
