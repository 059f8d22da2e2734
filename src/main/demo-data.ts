import type { Platform } from "../licensing/index.js";

/** The demo's catalogue: real App Store ids, invented counts. */
export interface DemoApp {
  adamId: string;
  name: string;
  price: number;
  productType: "App" | "Book";
  /** The store's genre and bundle id, as its lookup gives them. */
  genre: string;
  bundleId?: string;
  platforms: Platform[];
  /** Licenses bought per location. */
  main: number;
  north: number;
  installOnDevice?: boolean;
  updateMode?: "immediate" | "automatic";
}

export const DEMO_APPS: readonly DemoApp[] = [
  {
    adamId: "361309726",
    name: "Pages",
    price: 0,
    productType: "App",
    genre: "Productivity",
    bundleId: "com.apple.Pages",
    platforms: ["iOS", "macOS"],
    main: 40,
    north: 20,
    installOnDevice: true,
  },
  {
    adamId: "361285480",
    name: "Keynote",
    price: 0,
    productType: "App",
    genre: "Productivity",
    bundleId: "com.apple.Keynote",
    platforms: ["iOS", "macOS"],
    main: 25,
    north: 0,
    updateMode: "automatic",
  },
  {
    adamId: "361304891",
    name: "Numbers",
    price: 0,
    productType: "App",
    genre: "Productivity",
    bundleId: "com.apple.Numbers",
    platforms: ["iOS", "macOS"],
    main: 20,
    north: 0,
  },
  {
    adamId: "1444383602",
    name: "GoodNotes 5",
    price: 7.99,
    productType: "App",
    genre: "Productivity",
    bundleId: "com.goodnotesapp.x",
    platforms: ["iOS"],
    main: 60,
    north: 10,
  },
  {
    adamId: "908519492",
    name: "Swift Playgrounds",
    price: 0,
    productType: "App",
    genre: "Education",
    bundleId: "com.apple.Playgrounds",
    platforms: ["iOS", "macOS"],
    main: 30,
    north: 0,
  },
  {
    adamId: "360593530",
    name: "Notability",
    price: 11.99,
    productType: "App",
    genre: "Productivity",
    bundleId: "com.gingerlabs.Notability",
    platforms: ["iOS", "macOS"],
    main: 0,
    north: 15,
  },
  {
    adamId: "881256329",
    name: "The Swift Programming Language",
    price: 0,
    productType: "Book",
    genre: "Computers & Internet",
    platforms: ["iOS", "macOS"],
    main: 50,
    north: 0,
  },
];

const FIRST = [
  "Ada",
  "Alan",
  "Grace",
  "Linus",
  "Margaret",
  "Dennis",
  "Barbara",
  "Ken",
  "Frances",
  "Tim",
  "Hedy",
  "Guido",
  "Radia",
  "Bjarne",
  "Karen",
  "James",
  "Edsger",
  "Lynn",
  "Niklaus",
  "Sophie",
];
const LAST = [
  "Lovelace",
  "Turing",
  "Hopper",
  "Torvalds",
  "Hamilton",
  "Ritchie",
  "Liskov",
  "Thompson",
  "Allen",
  "Berners-Lee",
  "Lamarr",
  "van Rossum",
  "Perlman",
  "Stroustrup",
  "Spärck Jones",
  "Gosling",
  "Dijkstra",
  "Conway",
  "Wirth",
  "Wilson",
];

/** A deterministic name for the i-th demo user. */
export function demoName(i: number): string {
  return `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`;
}

/** Users 0-39 teach, 40-219 study, 220-239 are staff. */
export const DEMO_USERS = 240;
export const TEACHERS = { from: 0, to: 40 };
export const STUDENTS = { from: 40, to: 220 };
export const STAFF = { from: 220, to: 240 };

/** Models and OS versions the demo's devices cycle through, as MDMs report them. */
const IPADS = [
  { model: "iPad (10th generation)", osVersion: "17.5.1" },
  { model: "iPad (9th generation)", osVersion: "17.5.1" },
  { model: "iPad (10th generation)", osVersion: "17.4.1" },
  { model: "iPad Air (5th generation)", osVersion: "17.5.1" },
  { model: "iPad (9th generation)", osVersion: "16.7.8" },
];
const MACS = [
  { model: "MacBook Air (M2, 2022)", osVersion: "14.5" },
  { model: "MacBook Air (M1, 2020)", osVersion: "14.4.1" },
  { model: "MacBook Pro (14-inch, M3, 2023)", osVersion: "14.5" },
  { model: "iMac (24-inch, M1, 2021)", osVersion: "13.6.7" },
];

/**
 * The name, model and OS version of the demo's i-th device of a kind: a student's iPad or a
 * teacher's Mac by its user ("Ada Lovelace's iPad"), a shared iPad by its cart ("Library
 * cart iPad 03").
 */
export function demoDevice(
  kind: "ipad" | "shared" | "mac",
  i: number,
  owner?: string,
): { name: string; model: string; osVersion: string } {
  if (kind === "shared")
    return {
      name: `Library cart iPad ${String(i + 1).padStart(2, "0")}`,
      model: "iPad (9th generation)",
      osVersion: "17.5.1",
    };
  const specs = kind === "ipad" ? IPADS : MACS;
  const spec = specs[i % specs.length] ?? { model: "", osVersion: "" };
  return { name: `${owner}'s ${kind === "ipad" ? "iPad" : "Mac"}`, ...spec };
}
