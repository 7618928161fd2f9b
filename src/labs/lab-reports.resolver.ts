import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { boundedList } from "../graphql/argument-validation";
import { MAX_HISTORY_BATCH } from "./lab-reports.service";
import { LabType } from "../catalog/catalog.types";
import type { LabEntity } from "./lab.entity";
import type { RequestContext } from "../core/request-context";
import { DateScalar } from "../graphql/scalars";
import { ADMIN_ROLES, LAB } from "../identity/role";
import type { Connection } from "../core/pagination";
import {
  LabLoadInput,
  LabLoadPayload,
  LabLoadReportConnection,
  LabLoadReportType,
  LabPrintStatsType,
  PrintHistoryInput,
  PrintHistoryPayload,
} from "./lab-reports.types";
import { LabReportsService } from "./lab-reports.service";

@Resolver(() => LabType)
export class LabReportsResolver {
  constructor(private readonly labReports: LabReportsService) {}

  @Authorized(LAB)
  @Mutation(() => LabLoadPayload, { description: "A lab reports its load: kept as its latest (for the assignment) and in its load history." })
  async reportLabLoad(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => LabLoadInput, { description: "What to create or set." }) input: LabLoadInput,
  ): Promise<LabLoadPayload> {
    const r = await this.labReports.reportLoad(ctx, input);
    return { accepted: r.value === true, errors: r.errors };
  }

  @Authorized(LAB)
  @Mutation(() => PrintHistoryPayload, { description: "A lab sends its printing history, at most 1000 entries per call; an entry per job is stored once." })
  async reportPrintHistory(
    @Ctx() ctx: RequestContext,
    @Arg("entries", () => [PrintHistoryInput], { description: "Prints made since the last report.", validateFn: boundedList("entries", MAX_HISTORY_BATCH + 1) })
    entries: PrintHistoryInput[],
  ): Promise<PrintHistoryPayload> {
    const r = await this.labReports.reportHistory(ctx, entries);
    return { stored: r.value ?? 0, errors: r.errors };
  }

  @Authorized(...ADMIN_ROLES)
  @Query(() => LabPrintStatsType, {
    description: "A lab's printing per business date from its print history (admins of the lab's shop, its group, the center).",
  })
  labPrintStats(
    @Ctx() ctx: RequestContext,
    @Arg("labId", () => ID, { description: "The lab's id." }) labId: string,
    @Arg("from", () => DateScalar, { description: "First business day (inclusive)." }) from: string,
    @Arg("to", () => DateScalar, { description: "Last business day (inclusive)." }) to: string,
  ): Promise<LabPrintStatsType> {
    return this.labReports.printStats(ctx, labId, from, to);
  }

  @Authorized(...ADMIN_ROLES)
  @Query(() => [LabLoadReportType], { description: "A lab's load reports, newest first (admins of the lab's shop, its group, the center)." })
  labLoadHistory(
    @Ctx() ctx: RequestContext,
    @Arg("labId", () => ID, { description: "The lab's id." }) labId: string,
    @Arg("first", () => Int, { description: "Most recent reports to return.", nullable: true, defaultValue: 100 }) first: number | null,
  ): Promise<LabLoadReportType[]> {
    return this.labReports.loadHistory(ctx, labId, first ?? 100);
  }

  @Authorized(...ADMIN_ROLES)
  @Query(() => LabLoadReportConnection, {
    description:
      "The same reports as labLoadHistory (which stays a plain list of the first ones), as a Relay connection: newest first, a page at a time with first (1 to 100) and after.",
  })
  labLoadHistoryConnection(
    @Ctx() ctx: RequestContext,
    @Arg("labId", () => ID, { description: "The lab whose reports to read." }) labId: string,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20, description: "At most this many reports (1 to 100)." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the page before." }) after?: string | null,
  ): Promise<Connection<LabLoadReportType>> {
    return this.labReports.loadHistoryPage(ctx, labId, { first: first ?? 20, after: after ?? null });
  }

  @FieldResolver(() => Boolean, { description: "Its daemon is connected, or was heard from within LAB_ONLINE_GRACE_SECONDS." })
  online(@Root() lab: LabEntity, @Ctx() ctx: RequestContext): boolean {
    return this.labReports.isOnline(ctx, lab);
  }

  @FieldResolver(() => Date, { nullable: true, description: "When its daemon was last heard from." })
  lastSeenAt(@Root() lab: LabEntity): Date | null {
    return lab.lastSeenAt;
  }

  @FieldResolver(() => LabLoadReportType, { nullable: true, description: "Its latest load report; null before the first." })
  latestLoad(@Root() lab: LabEntity): LabLoadReportType | null {
    return this.labReports.latestLoad(lab);
  }
}
