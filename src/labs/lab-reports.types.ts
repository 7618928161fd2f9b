import { Field, Float, ID, InputType, Int, ObjectType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { DateScalar } from "../graphql/scalars";
import { connectionType } from "../graphql/connection.types";

@InputType("LabLoadInput", { description: "A lab's current load, reported by its daemon." })
export class LabLoadInput {
  @Field(() => Int, { description: "Print jobs waiting at the lab." })
  queuedJobs!: number;

  @Field(() => Int, { description: "Sheets waiting at the lab." })
  queuedSheets!: number;

  @Field(() => Float, { description: "0 (idle) to 1 (full); may exceed 1 when overbooked." })
  utilisation!: number;
}

@ObjectType("LabLoadPayload", { description: "Result of a load report." })
export class LabLoadPayload {
  @Field(() => Boolean, { description: "true: the report was stored." })
  accepted!: boolean;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@InputType("PrintHistoryInput", { description: "One print a lab made, for its history report." })
export class PrintHistoryInput {
  @Field(() => ID, { description: "The print job's id." })
  jobId!: string;

  @Field(() => Date, { description: "When it was printed (UTC instant)." })
  printedAt!: Date;

  @Field(() => Int, { description: "Sheets printed." })
  sheets!: number;

  @Field(() => String, { description: "Which printer, free text.", nullable: true })
  printer?: string | null;

  @Field(() => Boolean, { description: "true when the print succeeded." })
  ok!: boolean;
}

@ObjectType("PrintHistoryPayload", { description: "Result of a history report." })
export class PrintHistoryPayload {
  @Field(() => Int, { description: "How many entries were stored now; entries already stored are not counted again." })
  stored!: number;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("LabLoadReport", { description: "One load report of a lab." })
export class LabLoadReportType {
  @Field(() => Date, { description: "When the lab reported it (UTC instant)." })
  reportedAt!: Date;

  @Field(() => Int, { description: "Print jobs waiting at the lab." })
  queuedJobs!: number;

  @Field(() => Int, { description: "Sheets waiting at the lab." })
  queuedSheets!: number;

  @Field(() => Float, { description: "0 (idle) to 1 (full) or more (overbooked)." })
  utilisation!: number;
}

@ObjectType("LabPrintDay", { description: "What a lab reported printing on one business date." })
export class LabPrintDayType {
  @Field(() => DateScalar, { description: "The business day (business time zone)." })
  date!: string;

  @Field(() => Int, { description: "Sheets of the jobs printed successfully." })
  sheets!: number;

  @Field(() => Int, { description: "Jobs printed successfully." })
  jobsCompleted!: number;

  @Field(() => Int, { description: "Jobs the lab reported as failed prints." })
  failures!: number;
}

@ObjectType("LabPrintStats", { description: "A lab's printing over whole business dates, from its reported print history." })
export class LabPrintStatsType {
  @Field(() => ID, { description: "The lab." })
  labId!: string;

  @Field(() => DateScalar, { description: "First day of the period (inclusive)." })
  from!: string;

  @Field(() => DateScalar, { description: "Last day of the period (inclusive)." })
  to!: string;

  @Field(() => [LabPrintDayType], { description: "Every business date from `from` to `to`, days without prints included." })
  days!: LabPrintDayType[];

  @Field(() => Int, { description: "Sheets printed in the period." })
  sheetsPrinted!: number;

  @Field(() => Int, { description: "Print jobs completed in the period." })
  jobsCompleted!: number;

  @Field(() => Int, { description: "Print jobs that failed in the period." })
  failures!: number;

  @Field(() => Float, { description: "sheetsPrinted per hour over the period, counting 24 hours per business date." })
  throughputSheetsPerHour!: number;
}

export const LabLoadReportConnection = connectionType(
  "LabLoadReport",
  LabLoadReportType,
  "A lab's load reports, newest first, a page at a time (cursor-based).",
);
