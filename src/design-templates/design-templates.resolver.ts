import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { listPage, type Connection } from "../core/pagination";
import { AFTER_ARG, FIRST_ARG, page } from "../graphql/connection.types";
import { boundedList } from "../graphql/argument-validation";
import type { RequestContext } from "../core/request-context";
import { LAB, Role, type Principal } from "../identity/role";
import { MAX_LAB_TEMPLATES } from "./design-templates.service";
import {
  CreateDesignTemplateInput,
  DesignTemplateConnection,
  DesignTemplatePayload,
  DesignTemplateType,
  HeldDesignTemplateInput,
  LabDesignTemplateConnection,
  LabDesignTemplateType,
  ReportLabTemplatesPayload,
  UpdateDesignTemplateInput,
} from "./design-templates.types";
import { DesignTemplatesService } from "./design-templates.service";

/** Design templates, light at the center and full at the labs (seed 001, claims 5-6). */
@Resolver()
export class DesignTemplatesResolver {
  constructor(private readonly designTemplatesService: DesignTemplatesService) {}

  @Authorized()
  @Query(() => [DesignTemplateType], { description: "Every design template (frames, card layouts) an order item may name, with its preview." })
  designTemplates(@Ctx() ctx: RequestContext): Promise<DesignTemplateType[]> {
    return this.designTemplatesService.list(ctx);
  }

  @Authorized()
  @Query(() => DesignTemplateConnection, {
    description: "The same design templates as designTemplates, as a Relay connection: by id, a page at a time with first (1 to 100) and after.",
  })
  async designTemplatesConnection(
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<DesignTemplateType>> {
    return listPage(await this.designTemplatesService.list(ctx), page(first, after), (t) => t.id);
  }

  @Authorized()
  @Query(() => DesignTemplateType, { description: "One design template; null when not found.", nullable: true })
  designTemplate(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the design template." }) id: string,
  ): Promise<DesignTemplateType | null> {
    return this.designTemplatesService.get(ctx, id);
  }

  @Authorized<Principal>(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN, Role.SHOP_ADMIN, LAB)
  @Query(() => [LabDesignTemplateType], {
    description: "The design templates a lab reported holding (admins of its shop and group, the center admin, the lab itself).",
  })
  labDesignTemplates(@Ctx() ctx: RequestContext, @Arg("labId", () => ID, { description: "The lab's id." }) labId: string): Promise<LabDesignTemplateType[]> {
    return this.designTemplatesService.labTemplates(ctx, labId);
  }

  @Authorized<Principal>(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN, Role.SHOP_ADMIN, LAB)
  @Query(() => LabDesignTemplateConnection, {
    description: "The same templates as labDesignTemplates, as a Relay connection: by design template id, a page at a time with first (1 to 100) and after.",
  })
  async labDesignTemplatesConnection(
    @Ctx() ctx: RequestContext,
    @Arg("labId", () => ID, { description: "The lab whose templates to read." }) labId: string,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<LabDesignTemplateType>> {
    return listPage(await this.designTemplatesService.labTemplates(ctx, labId), page(first, after), (t) => t.designTemplateId);
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => DesignTemplatePayload, {
    description: "Register a design template: its preview and the checksum and size of the full file the labs hold (center admin).",
  })
  async createDesignTemplate(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateDesignTemplateInput, { description: "What to create or set." }) input: CreateDesignTemplateInput,
  ): Promise<DesignTemplatePayload> {
    const r = await this.designTemplatesService.create(ctx, input);
    return { designTemplate: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => DesignTemplatePayload, {
    description: "Correct a design template, or give it a new file (sha256, size): labs holding the old one must fetch it (center admin).",
  })
  async updateDesignTemplate(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the design template." }) id: string,
    @Arg("input", () => UpdateDesignTemplateInput, { description: "What to set; unset fields stay as they are." }) input: UpdateDesignTemplateInput,
  ): Promise<DesignTemplatePayload> {
    const r = await this.designTemplatesService.update(ctx, id, input);
    return { designTemplate: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => DesignTemplatePayload, { description: "Delete a design template no open order names (center admin); answers it as it was." })
  async deleteDesignTemplate(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the design template." }) id: string,
  ): Promise<DesignTemplatePayload> {
    const r = await this.designTemplatesService.delete(ctx, id);
    return { designTemplate: r.value, errors: r.errors };
  }

  @Authorized(LAB)
  @Mutation(() => ReportLabTemplatesPayload, {
    description: `For lab daemons: the design templates this lab holds, with the checksum of each copy; replaces what the center knew. At most ${MAX_LAB_TEMPLATES}; unknown ids and checksums other than the center's are reported by index, and then nothing is stored.`,
  })
  async reportLabTemplates(
    @Ctx() ctx: RequestContext,
    @Arg("templates", () => [HeldDesignTemplateInput], {
      description: "Every design template the lab holds now, with its hash.",
      validateFn: boundedList("templates", MAX_LAB_TEMPLATES + 1),
    })
    templates: HeldDesignTemplateInput[],
  ): Promise<ReportLabTemplatesPayload> {
    const r = await this.designTemplatesService.reportLabTemplates(ctx, templates);
    return { templates: r.value, errors: r.errors };
  }
}
