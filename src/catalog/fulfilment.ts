/** How the prints reach the customer: the flow information used to pick a lab (seed 000, claim 2). */
export enum FulfilmentMethod {
  PICKUP = "PICKUP",
  DELIVERY = "DELIVERY",
}

export enum FulfilmentSpeed {
  STANDARD = "STANDARD",
  EXPRESS = "EXPRESS",
}
