import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { LabType } from "../catalog/catalog.types";
import type { RequestContext } from "../core/request-context";
import { Role } from "../identity/role";
import { CreateLabInput, LabPayload, UpdateLabInput } from "./labs-admin.types";
import { LabsAdminService } from "./labs-admin.service";

/** The labs registry (issue 5). Who may do what is declared here; scopes are the service's. */
@Resolver(() => LabType)
export class LabsAdminResolver {
  constructor(private readonly labsAdmin: LabsAdminService) {}

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => LabPayload, {
    description: "Register a lab of a shop (center admin; a group admin for their group's shops). Issue its key with createLabApiKey.",
  })
  async createLab(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateLabInput, { description: "What to create or set." }) input: CreateLabInput,
  ): Promise<LabPayload> {
    const r = await this.labsAdmin.createLab(ctx, input);
    return { lab: r.value as unknown as LabType | null, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => LabPayload, { description: "Correct a lab: its shop, services, fulfilment, express, capacity, location, or disable it." })
  async updateLab(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the lab." }) id: string,
    @Arg("input", () => UpdateLabInput, { description: "What to set; unset fields stay as they are." }) input: UpdateLabInput,
  ): Promise<LabPayload> {
    const r = await this.labsAdmin.updateLab(ctx, id, input);
    return { lab: r.value as unknown as LabType | null, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => LabPayload, {
    description: "Delete a lab with no unfinished print job (IN_USE names them); its finished jobs, keys and reports go with it. Answers the lab as it was.",
  })
  async deleteLab(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the lab." }) id: string): Promise<LabPayload> {
    const r = await this.labsAdmin.deleteLab(ctx, id);
    return { lab: r.value as unknown as LabType | null, errors: r.errors };
  }
}
