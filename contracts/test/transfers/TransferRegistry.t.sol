// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ChannelFixture} from "../utils/ChannelFixture.sol";
import {TransferRegistry} from "../../src/TransferRegistry.sol";
import {ITransferRegistry} from "../../src/interfaces/ITransferRegistry.sol";
import {RegisteredTransfer} from "../../src/interfaces/Types.sol";

contract TransferRegistryTest is ChannelFixture {
    TransferRegistry internal fresh;
    address internal stranger = makeAddr("stranger");

    function setUp() public override {
        super.setUp();
        fresh = new TransferRegistry(owner);
    }

    function entry(string memory name, address definition) internal pure returns (RegisteredTransfer memory) {
        return RegisteredTransfer({
            name: name,
            definition: definition,
            stateEncoding: string.concat("tuple(bytes32 ", name, ")"),
            resolverEncoding: "tuple(bytes32 x)",
            encodedCancel: abi.encode(bytes32(0))
        });
    }

    function add(RegisteredTransfer memory definition) internal {
        vm.prank(owner);
        fresh.addTransferDefinition(definition);
    }

    function remove(string memory name) internal {
        vm.prank(owner);
        fresh.removeTransferDefinition(name);
    }

    function assertEntry(RegisteredTransfer memory actual, RegisteredTransfer memory expected) internal pure {
        assertEq(actual.name, expected.name);
        assertEq(actual.definition, expected.definition);
        assertEq(actual.stateEncoding, expected.stateEncoding);
        assertEq(actual.resolverEncoding, expected.resolverEncoding);
        assertEq(actual.encodedCancel, expected.encodedCancel);
    }

    /// @dev Three entries A, B, C at distinct addresses.
    function addThree() internal returns (RegisteredTransfer[3] memory e) {
        e[0] = entry("A", address(0xA));
        e[1] = entry("B", address(0xB));
        e[2] = entry("C", address(0xC));
        for (uint256 i; i < 3; ++i) {
            add(e[i]);
        }
    }

    // ---------------------------------------------------------------- fixture registry

    function test_fixtureRegistry_holdsBothDefinitions() public view {
        assertEq(registry.owner(), owner);
        RegisteredTransfer[] memory all = registry.getTransferDefinitions();
        assertEq(all.length, 2);
        assertEntry(all[0], hashlock.getRegistryInformation());
        assertEntry(all[1], withdrawDefinition.getRegistryInformation());
        assertEntry(registry.getTransferDefinition("HashlockTransfer"), hashlock.getRegistryInformation());
        assertEntry(registry.getTransferDefinition("Withdraw"), withdrawDefinition.getRegistryInformation());
        assertTrue(registry.isRegistered(address(hashlock)));
        assertTrue(registry.isRegistered(address(withdrawDefinition)));
        assertFalse(registry.isRegistered(address(token)));
    }

    // ---------------------------------------------------------------- access control

    function test_add_revertsForNonOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        fresh.addTransferDefinition(entry("A", address(0xA)));
    }

    function test_remove_revertsForNonOwner() public {
        add(entry("A", address(0xA)));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        fresh.removeTransferDefinition("A");
        assertTrue(fresh.isRegistered(address(0xA)));
    }

    function test_ownershipTransfer_movesRights() public {
        address next = makeAddr("next");
        vm.prank(owner);
        fresh.transferOwnership(next);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, owner));
        fresh.addTransferDefinition(entry("A", address(0xA)));
        vm.prank(next);
        fresh.addTransferDefinition(entry("A", address(0xA)));
        assertTrue(fresh.isRegistered(address(0xA)));
    }

    // ---------------------------------------------------------------- add

    function test_add_storesAndEmits() public {
        RegisteredTransfer memory a = entry("A", address(0xA));
        vm.expectEmit(true, true, true, true, address(fresh));
        emit ITransferRegistry.TransferAdded("A", address(0xA));
        add(a);
        RegisteredTransfer[] memory all = fresh.getTransferDefinitions();
        assertEq(all.length, 1);
        assertEntry(all[0], a);
        assertEntry(fresh.getTransferDefinition("A"), a);
        assertTrue(fresh.isRegistered(address(0xA)));
    }

    function test_add_revertsOnDuplicateName() public {
        add(entry("A", address(0xA)));
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ITransferRegistry.TransferAlreadyRegistered.selector, "A"));
        fresh.addTransferDefinition(entry("A", address(0xB)));
        assertFalse(fresh.isRegistered(address(0xB)));
        assertEq(fresh.getTransferDefinitions().length, 1);
    }

    function test_add_revertsOnInvalidEntry() public {
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(ITransferRegistry.InvalidRegisteredTransfer.selector));
        fresh.addTransferDefinition(entry("", address(0xA)));
        vm.expectRevert(abi.encodeWithSelector(ITransferRegistry.InvalidRegisteredTransfer.selector));
        fresh.addTransferDefinition(entry("A", address(0)));
        vm.stopPrank();
        assertEq(fresh.getTransferDefinitions().length, 0);
    }

    function test_add_sameAddressUnderTwoNames() public {
        add(entry("A", address(0xA)));
        add(entry("A2", address(0xA)));
        remove("A");
        assertTrue(fresh.isRegistered(address(0xA)));
        remove("A2");
        assertFalse(fresh.isRegistered(address(0xA)));
    }

    // ---------------------------------------------------------------- remove

    function test_remove_revertsWhenUnknown() public {
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ITransferRegistry.TransferNotRegistered.selector, "nope"));
        fresh.removeTransferDefinition("nope");
    }

    function test_remove_twiceReverts() public {
        add(entry("A", address(0xA)));
        remove("A");
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ITransferRegistry.TransferNotRegistered.selector, "A"));
        fresh.removeTransferDefinition("A");
    }

    function test_remove_emitsAndForgets() public {
        add(entry("A", address(0xA)));
        vm.expectEmit(true, true, true, true, address(fresh));
        emit ITransferRegistry.TransferRemoved("A", address(0xA));
        remove("A");
        assertEq(fresh.getTransferDefinitions().length, 0);
        assertFalse(fresh.isRegistered(address(0xA)));
        vm.expectRevert(abi.encodeWithSelector(ITransferRegistry.TransferNotRegistered.selector, "A"));
        fresh.getTransferDefinition("A");
    }

    function test_remove_middleKeepsOthers() public {
        RegisteredTransfer[3] memory e = addThree();
        remove("B");
        RegisteredTransfer[] memory all = fresh.getTransferDefinitions();
        assertEq(all.length, 2);
        assertEntry(all[0], e[0]);
        assertEntry(all[1], e[2]);
        assertEntry(fresh.getTransferDefinition("A"), e[0]);
        assertEntry(fresh.getTransferDefinition("C"), e[2]);
        assertFalse(fresh.isRegistered(address(0xB)));
        assertTrue(fresh.isRegistered(address(0xC)));
        // The moved entry can still be removed by name, and the rest stays intact.
        remove("C");
        all = fresh.getTransferDefinitions();
        assertEq(all.length, 1);
        assertEntry(all[0], e[0]);
    }

    function test_remove_firstAndLast() public {
        RegisteredTransfer[3] memory e = addThree();
        remove("C");
        remove("A");
        RegisteredTransfer[] memory all = fresh.getTransferDefinitions();
        assertEq(all.length, 1);
        assertEntry(all[0], e[1]);
        assertEntry(fresh.getTransferDefinition("B"), e[1]);
    }

    function test_remove_thenAddAgain() public {
        addThree();
        remove("A");
        RegisteredTransfer memory a2 = entry("A", address(0xAA));
        add(a2);
        assertEntry(fresh.getTransferDefinition("A"), a2);
        assertEq(fresh.getTransferDefinitions().length, 3);
        assertFalse(fresh.isRegistered(address(0xA)));
        assertTrue(fresh.isRegistered(address(0xAA)));
    }

    function test_getTransferDefinition_revertsWhenUnknown() public {
        vm.expectRevert(abi.encodeWithSelector(ITransferRegistry.TransferNotRegistered.selector, "Thread"));
        registry.getTransferDefinition("Thread");
    }

    // ---------------------------------------------------------------- fuzz

    /// @dev Adds `n` entries, removes them in a fuzzed order, and checks after each removal that
    /// every remaining one is still listed once and found by name.
    function testFuzz_registry_removeInAnyOrder(uint8 n, uint256 seed) public {
        n = uint8(bound(n, 1, 12));
        bool[] memory removed = new bool[](n);
        for (uint256 i; i < n; ++i) {
            add(entry(vm.toString(i), address(uint160(0x1000 + i))));
        }
        for (uint256 k; k < n; ++k) {
            uint256 pick = uint256(keccak256(abi.encode(seed, k))) % n;
            while (removed[pick]) pick = (pick + 1) % n;
            removed[pick] = true;
            remove(vm.toString(pick));

            RegisteredTransfer[] memory all = fresh.getTransferDefinitions();
            assertEq(all.length, n - k - 1);
            for (uint256 i; i < n; ++i) {
                address def = address(uint160(0x1000 + i));
                assertEq(fresh.isRegistered(def), !removed[i]);
                if (removed[i]) continue;
                assertEq(fresh.getTransferDefinition(vm.toString(i)).definition, def);
                uint256 seen;
                for (uint256 j; j < all.length; ++j) {
                    if (all[j].definition == def) ++seen;
                }
                assertEq(seen, 1);
            }
        }
    }

    function testFuzz_registry_onlyOwner(address caller, string calldata name) public {
        vm.assume(caller != owner && bytes(name).length != 0);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        fresh.addTransferDefinition(entry(name, address(0xA)));
        add(entry(name, address(0xA)));
        assertEq(fresh.getTransferDefinition(name).name, name);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        fresh.removeTransferDefinition(name);
    }
}
