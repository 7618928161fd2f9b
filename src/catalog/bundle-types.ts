/**
 * The catalog bundle's TypeScript types: the entries of every kind, the bundle itself, a fault with
 * its JSON path, and what the database already holds ({@link KnownState}). The format's rules are in
 * bundle.ts; types only here, so that every part of the validator can share them without a cycle.
 */
import type { Role } from "../identity/role";
import type { PriceRowData } from "../pricing/price-calculator";

/** Fulfilment values as plain strings: the enum in fulfilment.ts registers a GraphQL type. */
export const FULFILMENT_METHODS = ["PICKUP", "DELIVERY"] as const;
export type Fulfilment = (typeof FULFILMENT_METHODS)[number];

export interface GeoLocation {
  lat: number;
  lng: number;
}

export interface BundleUser {
  id: string;
  login: string;
  /** Clear password (import only; never exported). */
  password?: string;
  /** argon2 PHC string, instead of `password`. */
  passwordHash?: string;
  name: string;
  role: Role;
  shopGroupId?: string | null;
  shopId?: string | null;
  disabled?: boolean;
}

export interface BundleShopGroup {
  id: string;
  name: string;
}

export interface BundleShop {
  id: string;
  name: string;
  shopGroupId: string;
  adminUserId?: string | null;
  location?: GeoLocation | null;
  postalCode?: string | null;
  region?: string | null;
}

/** What a service prints on: `name` (a named size) or `widthMm` and `heightMm`, and the options. */
export interface BundlePrintSize {
  name?: string;
  widthMm?: number;
  heightMm?: number;
  borderless: boolean;
  fit: "FILL" | "FIT";
}

export interface BundleService {
  id: string;
  name: string;
  /** null (or absent): no size stated. */
  printSize?: BundlePrintSize | null;
}

export interface BundleProduct {
  id: string;
  name: string;
}

export interface BundleTemplate {
  id: string;
  name: string;
  shopGroupId?: string | null;
  shopId?: string | null;
  serviceId: string;
  productIds: string[];
  /** A group template's shops left out of it; absent: left as they are in the database. */
  excludedShopIds?: string[];
}

interface PriceFields {
  /** Optional in a bundle; always set in the validator's output and in an export. */
  id?: string;
  productId: string;
  validFrom: string;
  validUntil?: string | null;
  basicCharge: number;
  amountCharge: number;
  minSheets?: number | null;
  maxSheets?: number | null;
}

/** A group price (`shopGroupId`) or a standard price (`shopGroupId` null or absent). */
export interface BundlePrice extends PriceFields {
  shopGroupId?: string | null;
}

export interface BundleShopPrice extends PriceFields {
  shopId: string;
}

export interface BundleAllowance {
  shopId: string;
  productId: string;
  minBasicCharge: number;
  maxBasicCharge: number;
  minAmountCharge: number;
  maxAmountCharge: number;
}

export interface BundleChargedImage {
  imageId: string;
  feePerSheet: number;
  rightsHolder: string;
}

/** A stored lab API key, as exported: never the key itself. */
export interface BundleLabApiKey {
  id: string;
  hash: string;
  lookup: string;
  label: string;
  /** ISO 8601 instant, e.g. 2026-01-01T00:00:00.000Z. */
  createdAt: string;
  revokedAt: string | null;
}

export interface BundleLab {
  id: string;
  name: string;
  shopId: string;
  /** Clear key (import only; never exported). */
  apiKey?: string;
  apiKeys?: BundleLabApiKey[];
  serviceIds: string[];
  fulfilment: Fulfilment[];
  express?: boolean;
  capacitySheetsPerHour: number;
  /** The largest order, in sheets, the lab takes; absent or null: no limit. */
  maxOrderSheets?: number | null;
  location?: GeoLocation | null;
  postalCode?: string | null;
  region?: string | null;
  disabled?: boolean;
}

export interface Bundle {
  currency?: string;
  users: BundleUser[];
  shopGroups: BundleShopGroup[];
  shops: BundleShop[];
  services: BundleService[];
  products: BundleProduct[];
  templates: BundleTemplate[];
  prices: BundlePrice[];
  shopPrices: BundleShopPrice[];
  shopPriceAllowances: BundleAllowance[];
  chargedImages: BundleChargedImage[];
  labs: BundleLab[];
}

export interface BundleFault {
  /** JSON path of the value at fault, e.g. `$.prices[3].validUntil`. */
  path: string;
  code: string;
  message: string;
}

/** What the database holds already, so that a bundle may refer to it (and must not clash with it). */
export interface KnownState {
  /** The installation's currency; null or absent when none is set yet. */
  currency?: string | null;
  shopGroupIds?: ReadonlySet<string>;
  shopIds?: ReadonlySet<string>;
  /** Shop id -> its shop group. */
  shopGroupOfShop?: ReadonlyMap<string, string>;
  serviceIds?: ReadonlySet<string>;
  productIds?: ReadonlySet<string>;
  labIds?: ReadonlySet<string>;
  chargedImageIds?: ReadonlySet<string>;
  /** User id -> login. */
  users?: ReadonlyMap<string, string>;
  /** Template id -> its scope and service. */
  templates?: ReadonlyMap<string, { shopGroupId: string | null; shopId: string | null; serviceId: string }>;
  priceRows?: readonly PriceRowData[];
  /** Lab API key id -> its lab, lookup and whether it is revoked. */
  labApiKeys?: ReadonlyMap<string, { labId: string; lookup: string; revoked: boolean }>;
}

export const BUNDLE_KINDS = [
  "shopGroups",
  "shops",
  "users",
  "services",
  "products",
  "templates",
  "prices",
  "shopPrices",
  "shopPriceAllowances",
  "chargedImages",
  "labs",
] as const;
export type BundleKind = (typeof BUNDLE_KINDS)[number];
